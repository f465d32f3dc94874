/**
 * Gesture classes and lighting conditions as the simulator uses them. Class ids are the real
 * CSV's 1-based ids (IBM `gesture_mapping.csv` order, names in formats' DVS_GESTURE_CLASSES:
 * 1 hand_clapping … 11 other_gestures); the 0-based label is id − 1.
 */
export type GestureClassId = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10 | 11;

export const GESTURE_CLASS_IDS: readonly GestureClassId[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/** The five lighting conditions of the real recordings. */
export const LIGHTINGS = ['fluorescent', 'fluorescent_led', 'lab', 'led', 'natural'] as const;
export type Lighting = (typeof LIGHTINGS)[number];

export function isLighting(name: string): name is Lighting {
  return (LIGHTINGS as readonly string[]).includes(name);
}

/**
 * Label rows of one trial in recording order: each class once, arm roll (8) twice (the real
 * CSVs split it into two consecutive rows; here forward then backward roll).
 */
export const TRIAL_CLASS_ORDER: readonly GestureClassId[] = [1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 10, 11];

/**
 * CSV class id of "no gesture" periods (idle, distractors) in synthetic recordings: one past the
 * real classes, so real label files (1..11) keep their meaning; 0-based label 11.
 */
export const BACKGROUND_CLASS_ID = 12;
export type SegmentClassId = GestureClassId | typeof BACKGROUND_CLASS_ID;
