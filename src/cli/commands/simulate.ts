import { availableParallelism } from 'node:os';
import { UsageError, choiceOption, numberOption, parseCommandArgs, POSITIVE, SEED, type Command } from '../command.js';
import { generateGestureDataset, spreadUsers, summarizeStats, USER_COUNT } from '../../simulate/dataset.js';
import { isLighting, LIGHTINGS, type Lighting } from '../../simulate/gesture-classes.js';
import { checkSeparability } from '../../simulate/separability.js';
import { FAMILIES, parseDomainSpec, type DomainRanges } from '../../simulate/domain.js';
import { createProgress } from '../../util/progress.js';

/** The family names, wrapped under the option column of the usage text. */
function familyLines(): string {
  const lines: string[] = [];
  let line = '';
  for (const f of FAMILIES) {
    if (line && line.length + f.length + 2 > 66) { lines.push(`${line},`); line = ''; }
    line += (line ? ', ' : '') + f;
  }
  return [...lines, line].map((l) => ' '.repeat(31) + l).join('\n');
}

const usage = `usage: spikeline simulate gesture --out DIR [options]
       spikeline simulate check DIR

gesture: writes a synthetic DVS128 Gesture dataset in the real layout (userNN_<lighting>.aedat
AEDAT 3.1, userNN_<lighting>_labels.csv, trials_to_train.txt, trials_to_test.txt), deterministic
for a seed.
check: trains baselines on a gesture folder's training split and prints their test accuracy:
global features (event count, mean x/y, ON fraction; nearest centroid, logistic regression),
which should stay low, and local motion-direction histograms (logistic regression), which show
the classes are learnable from how things move.

options:
  --out DIR                    output folder (created)
  --users N|LIST               N users spread over train/test like the real 23:6 split (default 29),
                               or an explicit list such as 1,2,24 or 1-5,24
  --seed S                     dataset seed (default 1)
  --duration-per-gesture SEC   mean labelled gesture length, s (default 6, as the real set)
  --gap SEC                    mean transition between gestures, s (default 1.2)
  --lightings LIST             only these of ${LIGHTINGS.join(', ')}
  --max-lightings-per-user N   at most N trials per user
  --domain SPEC                domain randomisation (default on): off, on, or family=value,... over
                               the defaults, e.g. thresholds=0.1:0.25,texture=uniform,distance=near
                               (README "Domain randomisation"); families:
${familyLines()}
  --clockwise camera|subject   whose view "clockwise" of the arm-circle classes is (default subject)
  --idle P                     probability of a "no gesture" row (class 12) before each gesture and
                               after the last (default 0.4; 0 for none)
  --idle-seconds SEC           mean length of a "no gesture" row (default 2.5)
  --threshold C                pin the mean contrast threshold, log units (default: drawn per
                               recording from the thresholds family; 0.1 with --domain off)
  --frame-us US                scene render period, µs (default 4000)
  --mains HZ                   mains frequency, flicker at twice it (default 60)
  --resume                     continue an interrupted run in --out: keep the trials it wrote with
                               the same options (refused for a folder it did not write)
  --force                      write into a non-empty --out anyway, replacing its trial lists
                               (without --resume or --force, a non-empty --out is refused)
  --workers N                  trials simulated at once, one per worker thread (default: one per
                               core); the files are the same for any N
  --quiet                      no progress output`;

const USERS = { integer: true, min: 1, max: USER_COUNT };

function parseUsers(value: string | undefined): number[] {
  if (value === undefined) return spreadUsers(29);
  if (/^\d+$/.test(value)) return spreadUsers(numberOption('users', value, USERS)!);
  const users: number[] = [];
  for (const part of value.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new UsageError(`--users: "${part}" is not a user number or range`);
    const a = numberOption('users', m[1], USERS)!, b = numberOption('users', m[2] ?? m[1], USERS)!;
    for (let u = a; u <= b; u++) users.push(u);
  }
  return users;
}

export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'generate a synthetic DVS128-Gesture-style dataset with the event-camera simulator',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string' },
      users: { type: 'string' },
      seed: { type: 'string' },
      'duration-per-gesture': { type: 'string' },
      gap: { type: 'string' },
      lightings: { type: 'string' },
      'max-lightings-per-user': { type: 'string' },
      threshold: { type: 'string' },
      domain: { type: 'string' },
      clockwise: { type: 'string' },
      idle: { type: 'string' },
      'idle-seconds': { type: 'string' },
      'frame-us': { type: 'string' },
      mains: { type: 'string' },
      quiet: { type: 'boolean' },
      resume: { type: 'boolean' },
      force: { type: 'boolean' },
      workers: { type: 'string' },
    }, 1);
    if (positionals[0] === 'check') {
      if (!positionals[1]) throw new UsageError('simulate check needs a dataset folder');
      const r = await checkSeparability(positionals[1]);
      const pct = (v: number): string => `${(100 * v).toFixed(1)} %`;
      process.stdout.write(
        `${positionals[1]}: ${r.trainSamples} train / ${r.testSamples} test samples; global features (count, mean x/y, ON fraction): ` +
          `nearest centroid ${pct(r.nearestCentroid)}, logistic regression ${pct(r.logistic)} (chance ${pct(1 / r.classMeanEvents.length)}); ` +
          `motion-direction histograms: logistic regression ${pct(r.motionLogistic)}\n` +
          `mean events per sample by class: ${r.classMeanEvents.map((v, c) => `${c + 1}:${Math.round(v)}`).join(' ')}\n`,
      );
      return 0;
    }
    if (positionals[0] !== 'gesture') throw new UsageError(`unknown subcommand "${positionals[0]}" (gesture or check)`);
    if (!values.out) throw new UsageError('--out DIR is required');
    if (values.resume && values.force) throw new UsageError('--resume and --force exclude each other (continue a run, or write over the folder)');
    let lightings: Lighting[] | undefined;
    if (values.lightings) {
      lightings = values.lightings.split(',').map((l) => {
        if (!isLighting(l)) throw new UsageError(`--lightings: unknown lighting "${l}" (${LIGHTINGS.join(', ')})`);
        return l;
      });
    }
    const maxPer = values['max-lightings-per-user'];
    const users = parseUsers(values.users);
    let domain: DomainRanges | null;
    try {
      domain = parseDomainSpec(values.domain ?? 'on');
    } catch (err) {
      throw new UsageError(`--domain: ${(err as Error).message}`);
    }
    const clockwise = choiceOption('clockwise', values.clockwise, ['camera', 'subject'] as const, 'subject');
    const progress = createProgress('simulate gesture', { silent: values.quiet ?? false });
    const started = Date.now();
    const stats = await generateGestureDataset(
      {
        out: values.out,
        users,
        seed: numberOption('seed', values.seed, SEED, 1),
        gestureSeconds: numberOption('duration-per-gesture', values['duration-per-gesture'], POSITIVE, 6),
        gapSeconds: numberOption('gap', values.gap, { min: 0 }, 1.2),
        // Without randomisation the original simulator's default threshold applies.
        ...(values.threshold !== undefined || domain === null ? { threshold: numberOption('threshold', values.threshold, POSITIVE, 0.1) } : {}),
        domain,
        clockwise,
        idleProbability: numberOption('idle', values.idle, { min: 0, max: 1 }, 0.4),
        idleSeconds: numberOption('idle-seconds', values['idle-seconds'], POSITIVE, 2.5),
        frameUs: numberOption('frame-us', values['frame-us'], { integer: true, min: 1 }, 4000),
        mainsHz: numberOption('mains', values.mains, { oneOf: [50, 60] }, 60),
        resume: values.resume ?? false,
        force: values.force ?? false,
        workers: numberOption('workers', values.workers, { integer: true, min: 1 }, availableParallelism()),
        ...(lightings ? { lightings } : {}),
        ...(maxPer !== undefined ? { maxLightingsPerUser: numberOption('max-lightings-per-user', maxPer, { integer: true, min: 1, max: LIGHTINGS.length })! } : {}),
      },
      (done, total, events) => {
        const s = (Date.now() - started) / 1000;
        progress.update({ done: Math.floor(done), total, info: { events, 'kev/s': s > 0 ? events / s / 1000 : 0 } });
      },
    );
    progress.finish({ events: stats.events });
    const sum = summarizeStats(stats);
    process.stdout.write(
      `${values.out}: ${sum.trials} trials, ${sum.samples} labelled gestures, ${sum.events} events; ` +
        `gesture mean ${sum.gestureSecondsMean.toFixed(2)} s at ${(sum.gestureRateMean / 1000).toFixed(1)} kev/s ` +
        `(p10 ${(sum.gestureRateP10 / 1000).toFixed(1)}, p90 ${(sum.gestureRateP90 / 1000).toFixed(1)}); ` +
        `${(sum.events / Math.max(stats.simulatedSeconds, 1e-9) / 1000).toFixed(1)} kev/s over whole recordings; ` +
        `${stats.simulatedSeconds.toFixed(0)} s simulated in ${stats.wallSeconds.toFixed(1)} s\n`,
    );
    return 0;
  },
};
