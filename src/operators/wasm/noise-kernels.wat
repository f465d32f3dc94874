;; Background-activity filter loops as WebAssembly SIMD (see noise-kernels.ts).
;; Assembled by scripts/build-wasm.ts into noise-kernels-wasm.ts (base64).
;;
;; Memory layout (byte offsets, exported as globals for noise-kernels.ts): input and output
;; columns of one chunk of up to CHUNK events, f64 first so every column is aligned, then the
;; last-time map, which the caller grows with the sensor. The offsets are constants so that they
;; fold into the loads' and stores' immediates (no address arithmetic per column).
;;
;; The map is the per-pixel last event time (f64) in the bordered layout of
;; BackgroundActivityFilter: row stride $stride cells, a 1-cell border of -Infinity all round
;; (never fires), pixel (x, y) at cell (y + 1) * stride + x + 1. An event at time t is kept iff
;; some neighbour n has t - last[n] < d (NaN and -Infinity support nothing); its own cell is not
;; a neighbour and gets t afterwards. Neighbours are read directly, two cells per v128 load (no
;; support map: loads are cheap here, where the JS path trades them for stores), so the rule
;; holds for any input order, time inversions included. The caller checks nothing per event:
;; events must lie inside the sensor.
;;
;; Each kernel filters the $n events of the input columns: every event is written at output
;; index k, which advances only for kept ones (branch-free), and returns k.
(module
  (memory (export "memory") 1)
  (global (export "CHUNK") i32 (i32.const 4096))
  (global (export "IT") i32 (i32.const 0))
  (global (export "IX") i32 (i32.const 65536))
  (global (export "IY") i32 (i32.const 73728))
  (global (export "IP") i32 (i32.const 98304))
  (global (export "OT") i32 (i32.const 32768))
  (global (export "OX") i32 (i32.const 81920))
  (global (export "OY") i32 (i32.const 90112))
  (global (export "OP") i32 (i32.const 102400))
  (global (export "MAP") i32 (i32.const 106496))

  ;; 8 neighbours (dv-processing).
  (func (export "ba8") (param $n i32) (param $stride i32) (param $d f64) (result i32)
    (local $i i32) (local $k i32) (local $x i32) (local $y i32) (local $row i32) (local $up i32) (local $b i32) (local $dn i32)
    (local $tv v128) (local $dv v128) (local $m v128)
    (local.set $row (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $dv (f64x2.splat (local.get $d)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $x (i32.load16_u offset=65536 (i32.shl (local.get $i) (i32.const 1))))
        (local.set $y (i32.load16_u offset=73728 (i32.shl (local.get $i) (i32.const 1))))
        (local.set $tv (v128.load64_splat offset=0 (i32.shl (local.get $i) (i32.const 3))))
        ;; Map byte offsets of the left neighbour's cell ($b, own cell at +8) and those above / below.
        (local.set $up (i32.shl (i32.add (i32.mul (local.get $y) (local.get $stride)) (local.get $x)) (i32.const 3)))
        (local.set $b (i32.add (local.get $up) (local.get $row)))
        (local.set $dn (i32.add (local.get $b) (local.get $row)))
        ;; Lanes all-ones where t - last[n] < d (NaN and -Infinity never), over the cells
        ;; [above-left, above], [below-left, below], [left, right], [above-right, below-right].
        (local.set $m (v128.or
          (v128.or
            (f64x2.lt (f64x2.sub (local.get $tv) (v128.load offset=106496 align=8 (local.get $up))) (local.get $dv))
            (f64x2.lt (f64x2.sub (local.get $tv) (v128.load offset=106496 align=8 (local.get $dn))) (local.get $dv)))
          (v128.or
            (f64x2.lt (f64x2.sub (local.get $tv) (v128.load64_lane offset=106512 1 (local.get $b) (v128.load64_splat offset=106496 (local.get $b)))) (local.get $dv))
            (f64x2.lt (f64x2.sub (local.get $tv) (v128.load64_lane offset=106512 1 (local.get $dn) (v128.load64_splat offset=106512 (local.get $up)))) (local.get $dv)))))
        (v128.store64_lane offset=106504 0 (local.get $b) (local.get $tv))
        (v128.store64_lane offset=32768 0 (i32.shl (local.get $k) (i32.const 3)) (local.get $tv))
        (i32.store16 offset=81920 (i32.shl (local.get $k) (i32.const 1)) (local.get $x))
        (i32.store16 offset=90112 (i32.shl (local.get $k) (i32.const 1)) (local.get $y))
        (i32.store8 offset=102400 (local.get $k) (i32.load8_u offset=98304 (local.get $i)))
        (local.set $k (i32.add (local.get $k) (v128.any_true (local.get $m))))
        (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
    (local.get $k))

  ;; 4 neighbours (Tonic): up, down, left, right.
  (func (export "ba4") (param $n i32) (param $stride i32) (param $d f64) (result i32)
    (local $i i32) (local $k i32) (local $x i32) (local $y i32) (local $row i32) (local $up i32) (local $b i32) (local $dn i32)
    (local $tv v128) (local $dv v128) (local $m v128)
    (local.set $row (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $dv (f64x2.splat (local.get $d)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $x (i32.load16_u offset=65536 (i32.shl (local.get $i) (i32.const 1))))
        (local.set $y (i32.load16_u offset=73728 (i32.shl (local.get $i) (i32.const 1))))
        (local.set $tv (v128.load64_splat offset=0 (i32.shl (local.get $i) (i32.const 3))))
        ;; Map byte offsets of the left neighbour's cell ($b, own cell at +8) and those above / below.
        (local.set $up (i32.shl (i32.add (i32.mul (local.get $y) (local.get $stride)) (local.get $x)) (i32.const 3)))
        (local.set $b (i32.add (local.get $up) (local.get $row)))
        (local.set $dn (i32.add (local.get $b) (local.get $row)))
        ;; Lanes all-ones where t - last[n] < d (NaN and -Infinity never), over [above, below], [left, right].
        (local.set $m (v128.or
          (f64x2.lt (f64x2.sub (local.get $tv) (v128.load64_lane offset=106504 1 (local.get $dn) (v128.load64_splat offset=106504 (local.get $up)))) (local.get $dv))
          (f64x2.lt (f64x2.sub (local.get $tv) (v128.load64_lane offset=106512 1 (local.get $b) (v128.load64_splat offset=106496 (local.get $b)))) (local.get $dv))))
        (v128.store64_lane offset=106504 0 (local.get $b) (local.get $tv))
        (v128.store64_lane offset=32768 0 (i32.shl (local.get $k) (i32.const 3)) (local.get $tv))
        (i32.store16 offset=81920 (i32.shl (local.get $k) (i32.const 1)) (local.get $x))
        (i32.store16 offset=90112 (i32.shl (local.get $k) (i32.const 1)) (local.get $y))
        (i32.store8 offset=102400 (local.get $k) (i32.load8_u offset=98304 (local.get $i)))
        (local.set $k (i32.add (local.get $k) (v128.any_true (local.get $m))))
        (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
    (local.get $k))
)
