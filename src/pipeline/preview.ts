/**
 * Downsampled event images for dashboard previews: ON minus OFF counts of an NHWC [H, W, C]
 * frame (C = 2K: OFF, ON of each sub-bin, all summed), summed over square cells so the image is
 * at most `size` pixels wide, clipped to int8.
 */
export interface Preview {
  width: number;
  height: number;
  /** Base64 of width*height int8 values, row-major. */
  base64: string;
}

export function previewFrame(frame: Float32Array, height: number, width: number, size: number, channels = 2): Preview {
  const f = Math.max(1, Math.ceil(Math.max(width, height) / size));
  const w = Math.ceil(width / f);
  const h = Math.ceil(height / f);
  const acc = new Float32Array(w * h);
  for (let y = 0; y < height; y++) {
    const row = ((y / f) | 0) * w;
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * channels;
      for (let c = i; c < i + channels; c += 2) acc[row + ((x / f) | 0)]! += frame[c + 1]! - frame[c]!;
    }
  }
  const out = new Int8Array(w * h);
  for (let i = 0; i < acc.length; i++) out[i] = Math.max(-127, Math.min(127, Math.round(acc[i]!)));
  return { width: w, height: h, base64: Buffer.from(out.buffer).toString('base64') };
}
