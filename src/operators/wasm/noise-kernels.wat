;; Background-activity filter loops as WebAssembly SIMD (see noise-kernels.ts).
;; Assembled by scripts/build-wasm.ts into noise-kernels-wasm.ts (base64).
;; All pointers are byte offsets into the module's own memory; the caller lays the regions out
;; and checks every coordinate against the sensor, so the kernels trust their arguments.
;;
;; $last is the per-pixel last event time (f64) in the bordered layout of BackgroundActivityFilter:
;; row stride $stride cells, a 1-cell border of -Infinity all round (never fires), pixel (x, y)
;; at cell (y + 1) * stride + x + 1. An event at time t is kept iff some neighbour n has
;; t - last[n] < d (f64 compare: NaN and -Infinity support nothing); its own cell is not a
;; neighbour and gets t afterwards. Neighbours are read directly, two cells per v128 load (no
;; support map: loads are cheap here, where the JS path has to trade them for stores), so the
;; rule holds for any input order, time inversions included.
;;
;; Input columns $it (f64) $ix $iy (u16) $ip (u8) of $n events; every event is written at
;; output index k of $ot $ox $oy $op, and k advances only for kept ones (branch-free).
;; Returns k.
(module
  (memory (export "memory") 1)

  ;; 8 neighbours (dv-processing).
  (func (export "ba8") (param $n i32) (param $last i32) (param $stride i32) (param $d f64)
        (param $it i32) (param $ix i32) (param $iy i32) (param $ip i32)
        (param $ot i32) (param $ox i32) (param $oy i32) (param $op i32) (result i32)
    (local $i i32) (local $k i32) (local $x i32) (local $y i32) (local $ok i32) (local $row i32)
    (local $base i32) (local $b i32) (local $up i32) (local $dn i32)
    (local $t f64) (local $tv v128) (local $dv v128)
    (local.set $row (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $base (i32.add (local.get $last) (local.get $row)))
    (local.set $dv (f64x2.splat (local.get $d)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $t (f64.load (i32.add (local.get $it) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $x (i32.load16_u (i32.add (local.get $ix) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $y (i32.load16_u (i32.add (local.get $iy) (i32.shl (local.get $i) (i32.const 1)))))
        ;; $b: the left neighbour's cell (y + 1) * stride + x; the event's own cell is $b + 8.
        (local.set $b (i32.add (local.get $base)
          (i32.shl (i32.add (i32.mul (local.get $y) (local.get $stride)) (local.get $x)) (i32.const 3))))
        (local.set $up (i32.sub (local.get $b) (local.get $row)))
        (local.set $dn (i32.add (local.get $b) (local.get $row)))
        (local.set $tv (f64x2.splat (local.get $t)))
        ;; Rows above and below: cells [-1, 0] and [0, +1] (the middle one twice); own row [-1, +1].
        (local.set $ok (v128.any_true
          (v128.or
            (v128.or
              (f64x2.lt (f64x2.sub (local.get $tv) (v128.load align=8 (local.get $up))) (local.get $dv))
              (f64x2.lt (f64x2.sub (local.get $tv) (v128.load offset=8 align=8 (local.get $up))) (local.get $dv)))
            (v128.or
              (v128.or
                (f64x2.lt (f64x2.sub (local.get $tv) (v128.load align=8 (local.get $dn))) (local.get $dv))
                (f64x2.lt (f64x2.sub (local.get $tv) (v128.load offset=8 align=8 (local.get $dn))) (local.get $dv)))
              (f64x2.lt
                (f64x2.sub (local.get $tv) (v128.load64_lane offset=16 1 (local.get $b) (v128.load64_splat (local.get $b))))
                (local.get $dv))))))
        (f64.store offset=8 (local.get $b) (local.get $t))
        (f64.store (i32.add (local.get $ot) (i32.shl (local.get $k) (i32.const 3))) (local.get $t))
        (i32.store16 (i32.add (local.get $ox) (i32.shl (local.get $k) (i32.const 1))) (local.get $x))
        (i32.store16 (i32.add (local.get $oy) (i32.shl (local.get $k) (i32.const 1))) (local.get $y))
        (i32.store8 (i32.add (local.get $op) (local.get $k)) (i32.load8_u (i32.add (local.get $ip) (local.get $i))))
        (local.set $k (i32.add (local.get $k) (local.get $ok)))
        (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
    (local.get $k))

  ;; 4 neighbours (Tonic): up, down, left, right.
  (func (export "ba4") (param $n i32) (param $last i32) (param $stride i32) (param $d f64)
        (param $it i32) (param $ix i32) (param $iy i32) (param $ip i32)
        (param $ot i32) (param $ox i32) (param $oy i32) (param $op i32) (result i32)
    (local $i i32) (local $k i32) (local $x i32) (local $y i32) (local $ok i32) (local $row i32)
    (local $base i32) (local $b i32) (local $up i32) (local $dn i32)
    (local $t f64) (local $tv v128) (local $dv v128)
    (local.set $row (i32.shl (local.get $stride) (i32.const 3)))
    (local.set $base (i32.add (local.get $last) (local.get $row)))
    (local.set $dv (f64x2.splat (local.get $d)))
    (block $done
      (br_if $done (i32.eqz (local.get $n)))
      (loop $next
        (local.set $t (f64.load (i32.add (local.get $it) (i32.shl (local.get $i) (i32.const 3)))))
        (local.set $x (i32.load16_u (i32.add (local.get $ix) (i32.shl (local.get $i) (i32.const 1)))))
        (local.set $y (i32.load16_u (i32.add (local.get $iy) (i32.shl (local.get $i) (i32.const 1)))))
        ;; $b: the left neighbour's cell (y + 1) * stride + x; the event's own cell is $b + 8.
        (local.set $b (i32.add (local.get $base)
          (i32.shl (i32.add (i32.mul (local.get $y) (local.get $stride)) (local.get $x)) (i32.const 3))))
        (local.set $up (i32.sub (local.get $b) (local.get $row)))
        (local.set $dn (i32.add (local.get $b) (local.get $row)))
        (local.set $tv (f64x2.splat (local.get $t)))
        ;; [above, below] and [left, right].
        (local.set $ok (v128.any_true
          (v128.or
            (f64x2.lt
              (f64x2.sub (local.get $tv) (v128.load64_lane offset=8 1 (local.get $dn) (v128.load64_splat offset=8 (local.get $up))))
              (local.get $dv))
            (f64x2.lt
              (f64x2.sub (local.get $tv) (v128.load64_lane offset=16 1 (local.get $b) (v128.load64_splat (local.get $b))))
              (local.get $dv)))))
        (f64.store offset=8 (local.get $b) (local.get $t))
        (f64.store (i32.add (local.get $ot) (i32.shl (local.get $k) (i32.const 3))) (local.get $t))
        (i32.store16 (i32.add (local.get $ox) (i32.shl (local.get $k) (i32.const 1))) (local.get $x))
        (i32.store16 (i32.add (local.get $oy) (i32.shl (local.get $k) (i32.const 1))) (local.get $y))
        (i32.store8 (i32.add (local.get $op) (local.get $k)) (i32.load8_u (i32.add (local.get $ip) (local.get $i))))
        (local.set $k (i32.add (local.get $k) (local.get $ok)))
        (br_if $next (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
    (local.get $k))
)
