;; Event histogramming for binning as WebAssembly SIMD (see binning-kernels.ts).
;; Assembled by scripts/build-wasm.ts into binning-kernels-wasm.ts (base64).
;;
;; Memory layout (byte offsets, exported as globals for binning-kernels.ts): the x, y, p columns
;; of one chunk of up to CHUNK events, the downsampling tables LX / LY (floor(v / f) for every
;; uint16 v), then the uint32 histogram of the frame's cells, which the caller grows with the
;; grid. The offsets are constants so that they fold into the loads' immediates.
;;
;; Each kernel adds the $n events of the columns to the histogram: cell ((y W + x) << 1) | p,
;; i.e. the NHWC frame layout with C = 2. The caller checks nothing per event: events must lie
;; inside the grid (an event outside it counts into a wrong cell or traps past the memory).
(module
  (memory (export "memory") 7)
  (global (export "CHUNK") i32 (i32.const 16384))
  (global (export "X") i32 (i32.const 0))
  (global (export "Y") i32 (i32.const 32768))
  (global (export "P") i32 (i32.const 65536))
  (global (export "LX") i32 (i32.const 81920))
  (global (export "LY") i32 (i32.const 212992))
  (global (export "HIST") i32 (i32.const 344064))

  ;; Cells from the raw coordinates, 4 events per step: cell byte offsets computed as i32x4,
  ;; then 4 scalar increments (WebAssembly has no scatter); the n mod 4 last events one by one.
  (func (export "count") (param $n i32) (param $w i32)
    (local $i i32) (local $end4 i32) (local $wv v128) (local $k v128) (local $c i32)
    (local.set $wv (i32x4.splat (local.get $w)))
    (local.set $end4 (i32.and (local.get $n) (i32.const -4)))
    (block $done4
      (br_if $done4 (i32.eqz (local.get $end4)))
      (loop $next4
        ;; byte offset of cell = (((y W + x) << 1) | p) << 2
        (local.set $k (i32x4.shl
          (v128.or
            (i32x4.shl
              (i32x4.add
                (i32x4.mul (i32x4.extend_low_i16x8_u (v128.load64_zero offset=32768 (i32.shl (local.get $i) (i32.const 1)))) (local.get $wv))
                (i32x4.extend_low_i16x8_u (v128.load64_zero offset=0 (i32.shl (local.get $i) (i32.const 1)))))
              (i32.const 1))
            (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero offset=65536 (local.get $i)))))
          (i32.const 2)))
        (local.set $c (i32x4.extract_lane 0 (local.get $k)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32x4.extract_lane 1 (local.get $k)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32x4.extract_lane 2 (local.get $k)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32x4.extract_lane 3 (local.get $k)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (br_if $next4 (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $end4)))))
    (call $tail (local.get $i) (local.get $n) (local.get $w)))

  ;; Grids of at most 65536 cells (up to 256x128x2): cell indices fit 16 bits, so 8 events per
  ;; step as i16x8 (products wrap mod 2^16 but end below it); the n mod 8 last events one by one.
  (func (export "count16") (param $n i32) (param $w i32)
    (local $i i32) (local $end8 i32) (local $wv v128) (local $k v128) (local $c i32)
    (local.set $wv (i16x8.splat (local.get $w)))
    (local.set $end8 (i32.and (local.get $n) (i32.const -8)))
    (block $done8
      (br_if $done8 (i32.eqz (local.get $end8)))
      (loop $next8
        (local.set $k (v128.or
          (i16x8.shl
            (i16x8.add
              (i16x8.mul (v128.load offset=32768 (i32.shl (local.get $i) (i32.const 1))) (local.get $wv))
              (v128.load offset=0 (i32.shl (local.get $i) (i32.const 1))))
            (i32.const 1))
          (i16x8.extend_low_i8x16_u (v128.load64_zero offset=65536 (local.get $i)))))
        (local.set $c (i32.shl (i16x8.extract_lane_u 0 (local.get $k)) (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32.shl (i16x8.extract_lane_u 1 (local.get $k)) (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32.shl (i16x8.extract_lane_u 2 (local.get $k)) (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32.shl (i16x8.extract_lane_u 3 (local.get $k)) (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32.shl (i16x8.extract_lane_u 4 (local.get $k)) (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32.shl (i16x8.extract_lane_u 5 (local.get $k)) (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32.shl (i16x8.extract_lane_u 6 (local.get $k)) (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (local.set $c (i32.shl (i16x8.extract_lane_u 7 (local.get $k)) (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (br_if $next8 (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 8))) (local.get $end8)))))
    (call $tail (local.get $i) (local.get $n) (local.get $w)))

  ;; Events [$i, $n) one by one (the remainders of the SIMD loops).
  (func $tail (param $i i32) (param $n i32) (param $w i32)
    (local $c i32)
    (block $done
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (loop $next
        (local.set $c (i32.shl
          (i32.or
            (i32.shl
              (i32.add
                (i32.mul (i32.load16_u offset=32768 (i32.shl (local.get $i) (i32.const 1))) (local.get $w))
                (i32.load16_u offset=0 (i32.shl (local.get $i) (i32.const 1))))
              (i32.const 1))
            (i32.load8_u offset=65536 (local.get $i)))
          (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))

  ;; Converts the first $cells histogram cells to float32 in place (4 per step; the caller
  ;; provides memory for $cells rounded up to 4), so the caller can copy them into a frame.
  (func (export "to_f32") (param $cells i32)
    (local $b i32) (local $end i32)
    (local.set $end (i32.shl (local.get $cells) (i32.const 2)))
    (block $done
      (br_if $done (i32.eqz (local.get $end)))
      (loop $next
        (v128.store offset=344064 (local.get $b) (f32x4.convert_i32x4_u (v128.load offset=344064 (local.get $b))))
        (br_if $next (i32.lt_u (local.tee $b (i32.add (local.get $b) (i32.const 16))) (local.get $end))))))

  ;; The same through the downsampling tables: cell of (LX[x], LY[y], p).
  (func (export "count_lut") (param $n i32) (param $w i32)
    (local $i i32) (local $c i32)
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $c (i32.shl
          (i32.or
            (i32.shl
              (i32.add
                (i32.mul (i32.load16_u offset=212992 (i32.shl (i32.load16_u offset=32768 (i32.shl (local.get $i) (i32.const 1))) (i32.const 1))) (local.get $w))
                (i32.load16_u offset=81920 (i32.shl (i32.load16_u offset=0 (i32.shl (local.get $i) (i32.const 1))) (i32.const 1))))
              (i32.const 1))
            (i32.load8_u offset=65536 (local.get $i)))
          (i32.const 2)))
        (i32.store offset=344064 (local.get $c) (i32.add (i32.load offset=344064 (local.get $c)) (i32.const 1)))
        (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))))
)
