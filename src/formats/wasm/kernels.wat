;; Hot loops of the event decoders as WebAssembly (SIMD where the layout allows it).
;; Assembled by scripts/build-wasm.ts into kernels-wasm.ts (base64); see kernels.ts.
;; All pointers are byte offsets into the module's own memory; the caller has bounds-checked
;; every range, so the kernels trust their arguments. Columns: x,y u16, t f64, p u8.
(module
  (memory (export "memory") 16)

  ;; AEDAT 3.1 polarity events: `count` 8-byte records at $src (u32 LE data, i32 LE ts),
  ;; written from event index $n. Invalid-marked events (bit 0 = 0) are dropped.
  ;; 8 events per step while all eight are valid: x = d >>> 17 (15 bits), y = (d >>> 2) & 0x7fff,
  ;; p = (d >>> 1) & 1, t = epoch + (ts & 0x7fffffff). Loop constants are stored at
  ;; $cfg..$cfg+63 and loaded back (see "aedat2dvs": V8 rematerialises a v128.const per use).
  ;; The largest x and y written go to $cfg+64 and $cfg+68 (i32): the caller scans for events
  ;; outside the sensor only when one of them is out of range.
  ;; Returns the new event count.
  (func (export "aedat3") (param $src i32) (param $count i32) (param $epoch f64)
        (param $ox i32) (param $oy i32) (param $ot i32) (param $op i32) (param $n i32) (param $cfg i32) (result i32)
    (local $end i32) (local $w i32) (local $gend i32) (local $t i32)
    (local $epv v128) (local $c1 v128) (local $c7fff v128) (local $cts v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $d01 v128) (local $d23 v128) (local $t01 v128) (local $t23 v128)
    (local $xs v128) (local $ys v128) (local $mx v128) (local $my v128) (local $sx i32) (local $sy i32)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (v128.store offset=0 (local.get $cfg) (f64x2.splat (local.get $epoch)))
    (v128.store offset=16 (local.get $cfg) (v128.const i32x4 1 1 1 1))
    (v128.store offset=32 (local.get $cfg) (v128.const i32x4 0x7fff 0x7fff 0x7fff 0x7fff))
    (v128.store offset=48 (local.get $cfg) (v128.const i32x4 0x7fffffff 0x7fffffff 0x7fffffff 0x7fffffff))
    (local.set $epv (v128.load offset=0 (local.get $cfg)))
    (local.set $c1 (v128.load offset=16 (local.get $cfg)))
    (local.set $c7fff (v128.load offset=32 (local.get $cfg)))
    (local.set $cts (v128.load offset=48 (local.get $cfg)))
    (loop $outer
      (block $vdone
        (loop $vloop
          (br_if $vdone (i32.gt_u (i32.add (local.get $src) (i32.const 64)) (local.get $end)))
          ;; [d0 t0 d1 t1] -> [d0 d1 t0 t1] (32-bit lane swizzle), then 64-bit unpacks.
          (local.set $v0 (i8x16.shuffle 0 1 2 3 8 9 10 11 4 5 6 7 12 13 14 15
            (v128.load align=1 (local.get $src)) (local.get $c1)))
          (local.set $v1 (i8x16.shuffle 0 1 2 3 8 9 10 11 4 5 6 7 12 13 14 15
            (v128.load offset=16 align=1 (local.get $src)) (local.get $c1)))
          (local.set $v2 (i8x16.shuffle 0 1 2 3 8 9 10 11 4 5 6 7 12 13 14 15
            (v128.load offset=32 align=1 (local.get $src)) (local.get $c1)))
          (local.set $v3 (i8x16.shuffle 0 1 2 3 8 9 10 11 4 5 6 7 12 13 14 15
            (v128.load offset=48 align=1 (local.get $src)) (local.get $c1)))
          (local.set $d01 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v0) (local.get $v1)))
          (local.set $d23 (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $v2) (local.get $v3)))
          (br_if $vdone (i32.eqz (i32x4.all_true (v128.and (v128.and (local.get $d01) (local.get $d23)) (local.get $c1)))))
          (local.set $t01 (v128.and (local.get $cts)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $v0) (local.get $v1))))
          (local.set $t23 (v128.and (local.get $cts)
            (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $v2) (local.get $v3))))
          (local.set $xs (i16x8.narrow_i32x4_u (i32x4.shr_u (local.get $d01) (i32.const 17)) (i32x4.shr_u (local.get $d23) (i32.const 17))))
          (local.set $ys (i16x8.narrow_i32x4_u
              (v128.and (i32x4.shr_u (local.get $d01) (i32.const 2)) (local.get $c7fff))
              (v128.and (i32x4.shr_u (local.get $d23) (i32.const 2)) (local.get $c7fff))))
          (v128.store align=1 (i32.add (local.get $ox) (i32.shl (local.get $n) (i32.const 1))) (local.get $xs))
          (v128.store align=1 (i32.add (local.get $oy) (i32.shl (local.get $n) (i32.const 1))) (local.get $ys))
          (local.set $mx (i16x8.max_u (local.get $mx) (local.get $xs)))
          (local.set $my (i16x8.max_u (local.get $my) (local.get $ys)))
          (local.set $d01 (i16x8.narrow_i32x4_u
            (v128.and (i32x4.shr_u (local.get $d01) (i32.const 1)) (local.get $c1))
            (v128.and (i32x4.shr_u (local.get $d23) (i32.const 1)) (local.get $c1))))
          (v128.store64_lane align=1 0 (i32.add (local.get $op) (local.get $n)) (i8x16.narrow_i16x8_u (local.get $d01) (local.get $d01)))
          (local.set $t (i32.add (local.get $ot) (i32.shl (local.get $n) (i32.const 3))))
          (v128.store align=8 (local.get $t) (f64x2.add (f64x2.convert_low_i32x4_s (local.get $t01)) (local.get $epv)))
          (v128.store offset=16 align=8 (local.get $t)
            (f64x2.add (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $t01) (local.get $t01))) (local.get $epv)))
          (v128.store offset=32 align=8 (local.get $t) (f64x2.add (f64x2.convert_low_i32x4_s (local.get $t23)) (local.get $epv)))
          (v128.store offset=48 align=8 (local.get $t)
            (f64x2.add (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $t23) (local.get $t23))) (local.get $epv)))
          (local.set $n (i32.add (local.get $n) (i32.const 8)))
          (local.set $src (i32.add (local.get $src) (i32.const 64)))
          (br $vloop)))
      ;; Scalar: one group of up to 8 events (the tail, or a group holding an invalid event).
      (local.set $gend (select (local.get $end) (i32.add (local.get $src) (i32.const 64))
        (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 64))))
      (block $sdone
        (loop $sloop
          (br_if $sdone (i32.ge_u (local.get $src) (local.get $gend)))
          (local.set $w (i32.load align=1 (local.get $src)))
          (if (i32.and (local.get $w) (i32.const 1))
            (then
              (local.set $sx (select (local.get $sx) (i32.shr_u (local.get $w) (i32.const 17))
                (i32.gt_u (local.get $sx) (i32.shr_u (local.get $w) (i32.const 17)))))
              (local.set $sy (select (local.get $sy) (i32.and (i32.shr_u (local.get $w) (i32.const 2)) (i32.const 0x7fff))
                (i32.gt_u (local.get $sy) (i32.and (i32.shr_u (local.get $w) (i32.const 2)) (i32.const 0x7fff)))))
              (i32.store16 (i32.add (local.get $ox) (i32.shl (local.get $n) (i32.const 1))) (i32.shr_u (local.get $w) (i32.const 17)))
              (i32.store16 (i32.add (local.get $oy) (i32.shl (local.get $n) (i32.const 1)))
                (i32.and (i32.shr_u (local.get $w) (i32.const 2)) (i32.const 0x7fff)))
              (i32.store8 (i32.add (local.get $op) (local.get $n)) (i32.and (i32.shr_u (local.get $w) (i32.const 1)) (i32.const 1)))
              (f64.store (i32.add (local.get $ot) (i32.shl (local.get $n) (i32.const 3)))
                (f64.add (local.get $epoch) (f64.convert_i32_s (i32.and (i32.load offset=4 align=1 (local.get $src)) (i32.const 0x7fffffff)))))
              (local.set $n (i32.add (local.get $n) (i32.const 1)))))
          (local.set $src (i32.add (local.get $src) (i32.const 8)))
          (br $sloop)))
      (br_if $outer (i32.lt_u (local.get $src) (local.get $end))))
    ;; Horizontal maxima: halve the vector three times (lanes are 16-bit, values below 2^15).
    (local.set $mx (i16x8.max_u (local.get $mx) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $mx) (local.get $mx))))
    (local.set $mx (i16x8.max_u (local.get $mx) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $mx) (local.get $mx))))
    (local.set $mx (i16x8.max_u (local.get $mx) (i8x16.shuffle 2 3 0 1 2 3 0 1 2 3 0 1 2 3 0 1 (local.get $mx) (local.get $mx))))
    (local.set $my (i16x8.max_u (local.get $my) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $my) (local.get $my))))
    (local.set $my (i16x8.max_u (local.get $my) (i8x16.shuffle 4 5 6 7 0 1 2 3 4 5 6 7 0 1 2 3 (local.get $my) (local.get $my))))
    (local.set $my (i16x8.max_u (local.get $my) (i8x16.shuffle 2 3 0 1 2 3 0 1 2 3 0 1 2 3 0 1 (local.get $my) (local.get $my))))
    (local.set $w (i16x8.extract_lane_u 0 (local.get $mx)))
    (i32.store offset=64 (local.get $cfg) (select (local.get $w) (local.get $sx) (i32.gt_u (local.get $w) (local.get $sx))))
    (local.set $w (i16x8.extract_lane_u 0 (local.get $my)))
    (i32.store offset=68 (local.get $cfg) (select (local.get $w) (local.get $sy) (i32.gt_u (local.get $w) (local.get $sy))))
    (local.get $n))

;; AEDAT 2.0 records (big-endian u32 address, u32 timestamp) in [$src, $end) -> columns from
  ;; index 0, decoded by the layout at $cfg (i32 fields: 0 xShift, 4 xMask, 8 yShift, 12 yMask,
  ;; 16 polarityShift, 20 skipMask, 24 width, 28 height, 32 xAdd, 36 xMul, 40 yAdd, 44 yMul,
  ;; 48 polarityXor, 52 last raw timestamp (u32), 56 skipped count, 60 out-of-range count;
  ;; f64 at 64: wrap epoch). State fields are read and written back. Returns the event count.
  (func (export "aedat2") (param $src i32) (param $end i32)
        (param $ox i32) (param $oy i32) (param $ot i32) (param $op i32) (param $cfg i32) (result i32)
    (local $n i32) (local $a i32) (local $ts i32) (local $rx i32) (local $ry i32) (local $last i32)
    (local $epoch f64) (local $skipped i32) (local $outside i32) (local $gend i32)
    (local $v0 v128) (local $v1 v128) (local $av v128) (local $tv v128) (local $rxv v128) (local $ryv v128)
    (local $xy v128) (local $prev v128) (local $xmv v128) (local $xcv v128) (local $ymv v128) (local $ycv v128)
    (local $skv v128) (local $xmaskv v128) (local $ymaskv v128) (local $wv v128) (local $hv v128) (local $pxv v128)
    (local $xs i32) (local $xm i32) (local $ys i32) (local $ym i32) (local $ps i32) (local $skip i32)
    (local $w i32) (local $h i32) (local $xa i32) (local $xf i32) (local $ya i32) (local $yf i32) (local $px i32)
    (local.set $xs (i32.load offset=0 (local.get $cfg)))
    (local.set $xm (i32.load offset=4 (local.get $cfg)))
    (local.set $ys (i32.load offset=8 (local.get $cfg)))
    (local.set $ym (i32.load offset=12 (local.get $cfg)))
    (local.set $ps (i32.load offset=16 (local.get $cfg)))
    (local.set $skip (i32.load offset=20 (local.get $cfg)))
    (local.set $w (i32.load offset=24 (local.get $cfg)))
    (local.set $h (i32.load offset=28 (local.get $cfg)))
    (local.set $xa (i32.load offset=32 (local.get $cfg)))
    (local.set $xf (i32.load offset=36 (local.get $cfg)))
    (local.set $ya (i32.load offset=40 (local.get $cfg)))
    (local.set $yf (i32.load offset=44 (local.get $cfg)))
    (local.set $px (i32.load offset=48 (local.get $cfg)))
    (local.set $last (i32.load offset=52 (local.get $cfg)))
    (local.set $skipped (i32.load offset=56 (local.get $cfg)))
    (local.set $outside (i32.load offset=60 (local.get $cfg)))
    (local.set $epoch (f64.load offset=64 (local.get $cfg)))
    ;; Loop-invariant vectors.
    (local.set $xmv (i32x4.splat (select (i32.const -1) (i32.const 0) (i32.lt_s (local.get $xf) (i32.const 0)))))
    (local.set $xcv (i32x4.splat (select (i32.add (local.get $xa) (i32.const 1)) (local.get $xa) (i32.lt_s (local.get $xf) (i32.const 0)))))
    (local.set $ymv (i32x4.splat (select (i32.const -1) (i32.const 0) (i32.lt_s (local.get $yf) (i32.const 0)))))
    (local.set $ycv (i32x4.splat (select (i32.add (local.get $ya) (i32.const 1)) (local.get $ya) (i32.lt_s (local.get $yf) (i32.const 0)))))
    (local.set $skv (i32x4.splat (local.get $skip)))
    (local.set $xmaskv (i32x4.splat (local.get $xm)))
    (local.set $ymaskv (i32x4.splat (local.get $ym)))
    (local.set $wv (i32x4.splat (local.get $w)))
    (local.set $hv (i32x4.splat (local.get $h)))
    (local.set $pxv (i32x4.splat (local.get $px)))
    (loop $outer
      (block $vdone
        (loop $vloop
          (br_if $vdone (i32.gt_u (i32.add (local.get $src) (i32.const 32)) (local.get $end)))
          (local.set $v0 (v128.load align=1 (local.get $src)))
          (local.set $v1 (v128.load offset=16 align=1 (local.get $src)))
          (local.set $av (i8x16.shuffle 3 2 1 0 11 10 9 8 19 18 17 16 27 26 25 24 (local.get $v0) (local.get $v1)))
          (local.set $tv (i8x16.shuffle 7 6 5 4 15 14 13 12 23 22 21 20 31 30 29 28 (local.get $v0) (local.get $v1)))
          (br_if $vdone (v128.any_true (v128.and (local.get $av) (local.get $skv))))
          (local.set $rxv (v128.and (i32x4.shr_u (local.get $av) (local.get $xs)) (local.get $xmaskv)))
          (local.set $ryv (v128.and (i32x4.shr_u (local.get $av) (local.get $ys)) (local.get $ymaskv)))
          (br_if $vdone (i32.eqz (i32x4.all_true (v128.and
            (i32x4.lt_u (local.get $rxv) (local.get $wv))
            (i32x4.lt_u (local.get $ryv) (local.get $hv))))))
          ;; A drop of more than 2^31 against the previous timestamp is a wrap: scalar path.
          (local.set $prev (i8x16.shuffle 0 1 2 3 16 17 18 19 20 21 22 23 24 25 26 27 (i32x4.splat (local.get $last)) (local.get $tv)))
          (br_if $vdone (v128.any_true (v128.and
            (i32x4.lt_u (local.get $tv) (local.get $prev))
            (i32x4.gt_u (i32x4.sub (local.get $prev) (local.get $tv)) (i32x4.splat (i32.const 0x80000000))))))
          ;; x = xAdd + xMul*rx with xMul = ±1, as (rx ^ m) + c: m = -1, c = xAdd + 1 flips.
          (local.set $xy (i16x8.narrow_i32x4_u
            (i32x4.add (v128.xor (local.get $rxv) (local.get $xmv)) (local.get $xcv))
            (i32x4.add (v128.xor (local.get $ryv) (local.get $ymv)) (local.get $ycv))))
          (v128.store64_lane align=1 0 (i32.add (local.get $ox) (i32.shl (local.get $n) (i32.const 1))) (local.get $xy))
          (v128.store64_lane align=1 1 (i32.add (local.get $oy) (i32.shl (local.get $n) (i32.const 1))) (local.get $xy))
          (i32.store align=1 (i32.add (local.get $op) (local.get $n))
            (i32x4.extract_lane 0 (i8x16.shuffle 0 4 8 12 0 0 0 0 0 0 0 0 0 0 0 0
              (v128.xor (v128.and (i32x4.shr_u (local.get $av) (local.get $ps)) (i32x4.splat (i32.const 1))) (local.get $pxv))
              (local.get $av))))
          (v128.store align=8 (i32.add (local.get $ot) (i32.shl (local.get $n) (i32.const 3)))
            (f64x2.add (f64x2.convert_low_i32x4_u (local.get $tv)) (f64x2.splat (local.get $epoch))))
          (v128.store offset=16 align=8 (i32.add (local.get $ot) (i32.shl (local.get $n) (i32.const 3)))
            (f64x2.add (f64x2.convert_low_i32x4_u (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $tv) (local.get $tv)))
              (f64x2.splat (local.get $epoch))))
          (local.set $last (i32x4.extract_lane 3 (local.get $tv)))
          (local.set $n (i32.add (local.get $n) (i32.const 4)))
          (local.set $src (i32.add (local.get $src) (i32.const 32)))
          (br $vloop)))
      ;; Scalar: one group of up to 4 records.
      (local.set $gend (select (local.get $end) (i32.add (local.get $src) (i32.const 32))
        (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 32))))
      (block $sdone
        (loop $sloop
          (br_if $sdone (i32.ge_u (local.get $src) (local.get $gend)))
          (local.set $a (i32.load align=1 (local.get $src)))
          (local.set $a (i32.or (i32.or (i32.shl (local.get $a) (i32.const 24)) (i32.shr_u (local.get $a) (i32.const 24)))
            (i32.or (i32.and (i32.shl (local.get $a) (i32.const 8)) (i32.const 0xff0000)) (i32.and (i32.shr_u (local.get $a) (i32.const 8)) (i32.const 0xff00)))))
          (local.set $ts (i32.load offset=4 align=1 (local.get $src)))
          (local.set $ts (i32.or (i32.or (i32.shl (local.get $ts) (i32.const 24)) (i32.shr_u (local.get $ts) (i32.const 24)))
            (i32.or (i32.and (i32.shl (local.get $ts) (i32.const 8)) (i32.const 0xff0000)) (i32.and (i32.shr_u (local.get $ts) (i32.const 8)) (i32.const 0xff00)))))
          (local.set $src (i32.add (local.get $src) (i32.const 8)))
          (if (i32.and (i32.lt_u (local.get $ts) (local.get $last)) (i32.gt_u (i32.sub (local.get $last) (local.get $ts)) (i32.const 0x80000000)))
            (then (local.set $epoch (f64.add (local.get $epoch) (f64.const 4294967296)))))
          (local.set $last (local.get $ts))
          (block $next
            (if (i32.and (local.get $a) (local.get $skip))
              (then (local.set $skipped (i32.add (local.get $skipped) (i32.const 1))) (br $next)))
            (local.set $rx (i32.and (i32.shr_u (local.get $a) (local.get $xs)) (local.get $xm)))
            (local.set $ry (i32.and (i32.shr_u (local.get $a) (local.get $ys)) (local.get $ym)))
            (if (i32.or (i32.ge_u (local.get $rx) (local.get $w)) (i32.ge_u (local.get $ry) (local.get $h)))
              (then (local.set $outside (i32.add (local.get $outside) (i32.const 1))) (br $next)))
            (i32.store16 (i32.add (local.get $ox) (i32.shl (local.get $n) (i32.const 1)))
              (i32.add (local.get $xa) (i32.mul (local.get $xf) (local.get $rx))))
            (i32.store16 (i32.add (local.get $oy) (i32.shl (local.get $n) (i32.const 1)))
              (i32.add (local.get $ya) (i32.mul (local.get $yf) (local.get $ry))))
            (i32.store8 (i32.add (local.get $op) (local.get $n))
              (i32.xor (i32.and (i32.shr_u (local.get $a) (local.get $ps)) (i32.const 1)) (local.get $px)))
            (f64.store (i32.add (local.get $ot) (i32.shl (local.get $n) (i32.const 3)))
              (f64.add (local.get $epoch) (f64.convert_i32_u (local.get $ts))))
            (local.set $n (i32.add (local.get $n) (i32.const 1))))
          (br $sloop)))
      (br_if $outer (i32.lt_u (local.get $src) (local.get $end))))
    (i32.store offset=52 (local.get $cfg) (local.get $last))
    (i32.store offset=56 (local.get $cfg) (local.get $skipped))
    (i32.store offset=60 (local.get $cfg) (local.get $outside))
    (f64.store offset=64 (local.get $cfg) (local.get $epoch))
    (local.get $n))

;; AEDAT 2.0 DVS128 layout specialised, 8 records per step: x = 127 - rx = (~a >> 1) & 127,
  ;; y = (~a >> 8) & 127, p = ~a & 1 (ON = raw bit 0 clear); 7-bit coordinates always fit, so
  ;; there is no range check. The loop stops at a group holding a record to skip (bit 15 or 31)
  ;; or a timestamp whose top bit differs from the previous one's (a wrap needs one), and writes
  ;; where it stopped at $cfg+72; the caller runs that group through "aedat2". Same $cfg state
  ;; block. Loop constants are stored at $cfg+80..223 and loaded back: V8 rematerialises a
  ;; v128.const at every use inside a loop (several instructions each), a loaded value stays in
  ;; a register.
  (func (export "aedat2dvs") (param $src i32) (param $end i32)
        (param $ox i32) (param $oy i32) (param $ot i32) (param $op i32) (param $cfg i32) (result i32)
    (local $n i32) (local $last i32) (local $t i32)
    (local $epv v128) (local $lo16 v128) (local $ones v128) (local $c7f v128) (local $c1 v128)
    (local $skipm v128) (local $topm v128) (local $hb v128) (local $bsm v128)
    (local $w0 v128) (local $w1 v128) (local $w2 v128) (local $w3 v128) (local $a01 v128) (local $a23 v128) (local $lo v128)
    (local.set $last (i32.load offset=52 (local.get $cfg)))
    (v128.store offset=80 (local.get $cfg) (f64x2.splat (f64.load offset=64 (local.get $cfg))))
    (v128.store offset=96 (local.get $cfg) (v128.const i32x4 0xffff 0xffff 0xffff 0xffff))
    (v128.store offset=112 (local.get $cfg) (v128.const i32x4 -1 -1 -1 -1))
    (v128.store offset=128 (local.get $cfg) (v128.const i16x8 127 127 127 127 127 127 127 127))
    (v128.store offset=144 (local.get $cfg) (v128.const i16x8 1 1 1 1 1 1 1 1))
    (v128.store offset=160 (local.get $cfg) (v128.const i32x4 0x80008000 0x80008000 0x80008000 0x80008000))
    (v128.store offset=176 (local.get $cfg) (v128.const i32x4 0x80000000 0x80000000 0 0))
    (v128.store offset=192 (local.get $cfg) (i32x4.splat (i32.and (local.get $last) (i32.const 0x80000000))))
    (v128.store offset=208 (local.get $cfg) (v128.const i8x16 7 6 5 4 15 14 13 12 3 2 1 0 11 10 9 8))
    (local.set $epv (v128.load offset=80 (local.get $cfg)))
    (local.set $lo16 (v128.load offset=96 (local.get $cfg)))
    (local.set $ones (v128.load offset=112 (local.get $cfg)))
    (local.set $c7f (v128.load offset=128 (local.get $cfg)))
    (local.set $c1 (v128.load offset=144 (local.get $cfg)))
    (local.set $skipm (v128.load offset=160 (local.get $cfg)))
    (local.set $topm (v128.load offset=176 (local.get $cfg)))
    (local.set $hb (v128.load offset=192 (local.get $cfg)))
    (local.set $bsm (v128.load offset=208 (local.get $cfg)))
    (block $vdone
      (loop $vloop
        (br_if $vdone (i32.gt_u (i32.add (local.get $src) (i32.const 64)) (local.get $end)))
        ;; 2 records [a0 t0 a1 t1] (big-endian) -> [t0 t1 a0 a1] (native): one byte shuffle.
        (local.set $w0 (i8x16.swizzle (v128.load align=1 (local.get $src)) (local.get $bsm)))
        (local.set $w1 (i8x16.swizzle (v128.load offset=16 align=1 (local.get $src)) (local.get $bsm)))
        (local.set $w2 (i8x16.swizzle (v128.load offset=32 align=1 (local.get $src)) (local.get $bsm)))
        (local.set $w3 (i8x16.swizzle (v128.load offset=48 align=1 (local.get $src)) (local.get $bsm)))
        (local.set $a01 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $w0) (local.get $w1)))
        (local.set $a23 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $w2) (local.get $w3)))
        (br_if $vdone (v128.any_true (v128.or
          (v128.and (v128.or (local.get $a01) (local.get $a23)) (local.get $skipm))
          (v128.and (local.get $topm)
            (v128.or (v128.or (v128.xor (local.get $w0) (local.get $hb)) (v128.xor (local.get $w1) (local.get $hb)))
                     (v128.or (v128.xor (local.get $w2) (local.get $hb)) (v128.xor (local.get $w3) (local.get $hb))))))))
        (local.set $t (i32.add (local.get $ot) (i32.shl (local.get $n) (i32.const 3))))
        (v128.store align=8 (local.get $t) (f64x2.add (f64x2.convert_low_i32x4_u (local.get $w0)) (local.get $epv)))
        (v128.store offset=16 align=8 (local.get $t) (f64x2.add (f64x2.convert_low_i32x4_u (local.get $w1)) (local.get $epv)))
        (v128.store offset=32 align=8 (local.get $t) (f64x2.add (f64x2.convert_low_i32x4_u (local.get $w2)) (local.get $epv)))
        (v128.store offset=48 align=8 (local.get $t) (f64x2.add (f64x2.convert_low_i32x4_u (local.get $w3)) (local.get $epv)))
        ;; Low 16 address bits of the 8 records, inverted.
        (local.set $lo (v128.xor (local.get $ones) (i16x8.narrow_i32x4_u
          (v128.and (local.get $a01) (local.get $lo16)) (v128.and (local.get $a23) (local.get $lo16)))))
        (v128.store align=1 (i32.add (local.get $ox) (i32.shl (local.get $n) (i32.const 1)))
          (v128.and (i16x8.shr_u (local.get $lo) (i32.const 1)) (local.get $c7f)))
        (v128.store align=1 (i32.add (local.get $oy) (i32.shl (local.get $n) (i32.const 1)))
          (v128.and (i16x8.shr_u (local.get $lo) (i32.const 8)) (local.get $c7f)))
        (local.set $lo (v128.and (local.get $lo) (local.get $c1)))
        (v128.store64_lane align=1 0 (i32.add (local.get $op) (local.get $n)) (i8x16.narrow_i16x8_u (local.get $lo) (local.get $lo)))
        (local.set $n (i32.add (local.get $n) (i32.const 8)))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (br $vloop)))
    (if (local.get $n)
      (then
        (local.set $last (i32.load offset=4 align=1 (i32.sub (local.get $src) (i32.const 8))))
        (local.set $last (i32.or
          (i32.or (i32.shl (local.get $last) (i32.const 24)) (i32.shr_u (local.get $last) (i32.const 24)))
          (i32.or (i32.and (i32.shl (local.get $last) (i32.const 8)) (i32.const 0xff0000))
                  (i32.and (i32.shr_u (local.get $last) (i32.const 8)) (i32.const 0xff00)))))))
    (i32.store offset=52 (local.get $cfg) (local.get $last))
    (i32.store offset=72 (local.get $cfg) (local.get $src))
    (local.get $n))

  ;; AEDAT 4 Event structs (16 bytes: i64 t, i16 x, i16 y, u8 p) -> columns. Returns new count.
  ;; 8 events per step: t = hi * 2^32 + lo in f64 (one rounding of the exact sum, so the same
  ;; value as f64.convert_i64_s), x/y as their raw 16 bits, p = bit 0. Loop constants are
  ;; stored at $cfg..$cfg+31 and loaded back (see "aedat2dvs").
  (func (export "evts") (param $src i32) (param $count i32)
        (param $ox i32) (param $oy i32) (param $ot i32) (param $op i32) (param $n i32) (param $cfg i32) (result i32)
    (local $end i32) (local $w i32) (local $t i32) (local $two32 v128) (local $c1 v128)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128) (local $u v128)
    (local $z01 v128) (local $z23 v128) (local $z45 v128) (local $z67 v128) (local $lo v128) (local $hi v128)
    (local.set $end (i32.add (local.get $n) (local.get $count)))
    (v128.store offset=0 (local.get $cfg) (v128.const f64x2 4294967296 4294967296))
    (v128.store offset=16 (local.get $cfg) (v128.const i32x4 1 1 1 1))
    (local.set $two32 (v128.load offset=0 (local.get $cfg)))
    (local.set $c1 (v128.load offset=16 (local.get $cfg)))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.gt_u (i32.add (local.get $n) (i32.const 8)) (local.get $end)))
        (local.set $t (i32.add (local.get $ot) (i32.shl (local.get $n) (i32.const 3))))
        ;; Per pair of structs: [lo0 lo1 hi0 hi1] of t (unpack low 32x4) and [xy0 xy1 pw0 pw1]
        ;; (unpack high 32x4).
        (local.set $v0 (v128.load align=1 (local.get $src)))
        (local.set $v1 (v128.load offset=16 align=1 (local.get $src)))
        (local.set $v2 (v128.load offset=32 align=1 (local.get $src)))
        (local.set $v3 (v128.load offset=48 align=1 (local.get $src)))
        (local.set $u (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
        (v128.store offset=0 align=8 (local.get $t) (f64x2.add
          (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $u) (local.get $u)))
                     (local.get $two32))
          (f64x2.convert_low_i32x4_u (local.get $u))))
        (local.set $u (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
        (v128.store offset=16 align=8 (local.get $t) (f64x2.add
          (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $u) (local.get $u)))
                     (local.get $two32))
          (f64x2.convert_low_i32x4_u (local.get $u))))
        (local.set $z01 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
        (local.set $z23 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
        (local.set $v0 (v128.load offset=64 align=1 (local.get $src)))
        (local.set $v1 (v128.load offset=80 align=1 (local.get $src)))
        (local.set $v2 (v128.load offset=96 align=1 (local.get $src)))
        (local.set $v3 (v128.load offset=112 align=1 (local.get $src)))
        (local.set $u (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v0) (local.get $v1)))
        (v128.store offset=32 align=8 (local.get $t) (f64x2.add
          (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $u) (local.get $u)))
                     (local.get $two32))
          (f64x2.convert_low_i32x4_u (local.get $u))))
        (local.set $u (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $v2) (local.get $v3)))
        (v128.store offset=48 align=8 (local.get $t) (f64x2.add
          (f64x2.mul (f64x2.convert_low_i32x4_s (i8x16.shuffle 8 9 10 11 12 13 14 15 8 9 10 11 12 13 14 15 (local.get $u) (local.get $u)))
                     (local.get $two32))
          (f64x2.convert_low_i32x4_u (local.get $u))))
        (local.set $z45 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v0) (local.get $v1)))
        (local.set $z67 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $v2) (local.get $v3)))
        ;; x/y words of the 8 events, then their p words (64-bit halves).
        (local.set $lo (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z01) (local.get $z23)))
        (local.set $hi (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $z45) (local.get $z67)))
        (v128.store align=1 (i32.add (local.get $ox) (i32.shl (local.get $n) (i32.const 1))) (i16x8.narrow_i32x4_u
          (i32x4.shr_u (i32x4.shl (local.get $lo) (i32.const 16)) (i32.const 16))
          (i32x4.shr_u (i32x4.shl (local.get $hi) (i32.const 16)) (i32.const 16))))
        (v128.store align=1 (i32.add (local.get $oy) (i32.shl (local.get $n) (i32.const 1))) (i16x8.narrow_i32x4_u
          (i32x4.shr_u (local.get $lo) (i32.const 16))
          (i32x4.shr_u (local.get $hi) (i32.const 16))))
        (local.set $lo (i16x8.narrow_i32x4_u
          (v128.and (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z01) (local.get $z23)) (local.get $c1))
          (v128.and (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $z45) (local.get $z67)) (local.get $c1))))
        (v128.store64_lane align=1 0 (i32.add (local.get $op) (local.get $n)) (i8x16.narrow_i16x8_u (local.get $lo) (local.get $lo)))
        (local.set $src (i32.add (local.get $src) (i32.const 128)))
        (local.set $n (i32.add (local.get $n) (i32.const 8)))
        (br $v)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $n) (local.get $end)))
        (f64.store (i32.add (local.get $ot) (i32.shl (local.get $n) (i32.const 3)))
          (f64.convert_i64_s (i64.load align=1 (local.get $src))))
        (local.set $w (i32.load offset=8 align=1 (local.get $src)))
        (i32.store16 (i32.add (local.get $ox) (i32.shl (local.get $n) (i32.const 1))) (local.get $w))
        (i32.store16 (i32.add (local.get $oy) (i32.shl (local.get $n) (i32.const 1))) (i32.shr_u (local.get $w) (i32.const 16)))
        (i32.store8 (i32.add (local.get $op) (local.get $n)) (i32.and (i32.load8_u offset=12 (local.get $src)) (i32.const 1)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $n))

  ;; Index of the first of $n events (u16 columns x at $ox, y at $oy) with x >= $w or y >= $h,
  ;; else $n: the out-of-sensor check every decoder applies. 8 events per step; the scalar loop
  ;; finds the exact index inside the first group that has one (and handles the tail).
  (func (export "outside") (param $ox i32) (param $oy i32) (param $n i32) (param $w i32) (param $h i32) (result i32)
    (local $i i32) (local $vw v128) (local $vh v128)
    (local.set $vw (i16x8.splat (local.get $w)))
    (local.set $vh (i16x8.splat (local.get $h)))
    (block $vdone
      (loop $v
        (br_if $vdone (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $n)))
        (br_if $vdone (v128.any_true (v128.or
          (i16x8.ge_u (v128.load align=1 (i32.add (local.get $ox) (i32.shl (local.get $i) (i32.const 1)))) (local.get $vw))
          (i16x8.ge_u (v128.load align=1 (i32.add (local.get $oy) (i32.shl (local.get $i) (i32.const 1)))) (local.get $vh)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $v)))
    (block $done
      (loop $s
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $done (i32.ge_u (i32.load16_u (i32.add (local.get $ox) (i32.shl (local.get $i) (i32.const 1)))) (local.get $w)))
        (br_if $done (i32.ge_u (i32.load16_u (i32.add (local.get $oy) (i32.shl (local.get $i) (i32.const 1)))) (local.get $h)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $s)))
    (local.get $i))

  ;; LZ4 block [$s, $end) -> output at $d, matches may reach back to $dstart, output < $dend.
  ;; Returns the new output position, or -1 on corrupt input (position in global $errpos).
  (global $errpos (export "errpos") (mut i32) (i32.const 0))
  (func (export "lz4block") (param $s i32) (param $end i32) (param $d i32) (param $dstart i32) (param $dend i32) (result i32)
    (local $token i32) (local $lit i32) (local $b i32) (local $off i32) (local $len i32) (local $m i32) (local $stop i32)
    (block $fail
      (block $ok
        (loop $seq
          (br_if $ok (i32.ge_u (local.get $s) (local.get $end)))
          (local.set $token (i32.load8_u (local.get $s)))
          (local.set $s (i32.add (local.get $s) (i32.const 1)))
          ;; Fast path for the common short sequence (literals < 15, match < 19, no length
          ;; bytes) at least 16 input and 32 output bytes from the ends: the literal run, the
          ;; offset and the match all lie inside those margins, so only the offset needs a check
          ;; and the copies are fixed-size vector moves (over-copying into bytes written next or
          ;; into the caller's slack). Event structs compress to ~2 such sequences per event.
          (if (i32.and
                (i32.and (i32.lt_u (local.get $token) (i32.const 0xf0))
                         (i32.ne (i32.and (local.get $token) (i32.const 15)) (i32.const 15)))
                (i32.and (i32.le_u (i32.add (local.get $s) (i32.const 16)) (local.get $end))
                         (i32.le_u (i32.add (local.get $d) (i32.const 32)) (local.get $dend))))
            (then
              (local.set $lit (i32.shr_u (local.get $token) (i32.const 4)))
              (v128.store align=1 (local.get $d) (v128.load align=1 (local.get $s)))
              (local.set $s (i32.add (local.get $s) (local.get $lit)))
              (local.set $d (i32.add (local.get $d) (local.get $lit)))
              (local.set $off (i32.load16_u align=1 (local.get $s)))
              (local.set $s (i32.add (local.get $s) (i32.const 2)))
              ;; 0 < offset <= d - dstart, as one unsigned compare.
              (br_if $fail (i32.ge_u (i32.sub (local.get $off) (i32.const 1)) (i32.sub (local.get $d) (local.get $dstart))))
              (local.set $m (i32.sub (local.get $d) (local.get $off)))
              (local.set $stop (i32.add (local.get $d) (i32.add (i32.and (local.get $token) (i32.const 15)) (i32.const 4))))
              (if (i32.and (i32.ge_u (local.get $off) (i32.const 8)) (i32.le_u (local.get $stop) (i32.add (local.get $d) (i32.const 8))))
                (then (i64.store align=1 (local.get $d) (i64.load align=1 (local.get $m))))
              (else
              (if (i32.ge_u (local.get $off) (i32.const 16))
                (then
                  ;; Up to 18 bytes. The second move (rare: lengths 17-18) reads bytes the first
                  ;; just wrote, a store-forwarding stall, so it is skipped when not needed.
                  (v128.store align=1 (local.get $d) (v128.load align=1 (local.get $m)))
                  (if (i32.gt_u (local.get $stop) (i32.add (local.get $d) (i32.const 16)))
                    (then (v128.store offset=16 align=1 (local.get $d) (v128.load offset=16 align=1 (local.get $m))))))
                (else
                  (if (i32.ge_u (local.get $off) (i32.const 8))
                    (then
                      (i64.store align=1 (local.get $d) (i64.load align=1 (local.get $m)))
                      (i64.store offset=8 align=1 (local.get $d) (i64.load offset=8 align=1 (local.get $m)))
                      (i64.store offset=16 align=1 (local.get $d) (i64.load offset=16 align=1 (local.get $m))))
                    (else
                      (loop $fb
                        (i32.store8 (local.get $d) (i32.load8_u (local.get $m)))
                        (local.set $d (i32.add (local.get $d) (i32.const 1)))
                        (local.set $m (i32.add (local.get $m) (i32.const 1)))
                        (br_if $fb (i32.lt_u (local.get $d) (local.get $stop))))))))))
              (local.set $d (local.get $stop))
              (br $seq)))
          (local.set $lit (i32.shr_u (local.get $token) (i32.const 4)))
          (if (i32.eq (local.get $lit) (i32.const 15))
            (then
              (loop $ll
                (br_if $fail (i32.ge_u (local.get $s) (local.get $end)))
                (local.set $b (i32.load8_u (local.get $s)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (local.set $lit (i32.add (local.get $lit) (local.get $b)))
                (br_if $ll (i32.eq (local.get $b) (i32.const 255))))))
          (if (local.get $lit)
            (then
              (br_if $fail (i32.gt_u (local.get $lit) (i32.sub (local.get $end) (local.get $s))))
              (br_if $fail (i32.gt_u (local.get $lit) (i32.sub (local.get $dend) (local.get $d))))
              ;; Short literals: two 8-byte moves (callers leave 32 bytes of slack after the
              ;; output and input); memory.copy costs a runtime call per use.
              (if (i32.le_u (local.get $lit) (i32.const 16))
                (then (v128.store align=1 (local.get $d) (v128.load align=1 (local.get $s))))
                (else (memory.copy (local.get $d) (local.get $s) (local.get $lit))))
              (local.set $s (i32.add (local.get $s) (local.get $lit)))
              (local.set $d (i32.add (local.get $d) (local.get $lit)))))
          (br_if $ok (i32.ge_u (local.get $s) (local.get $end)))
          (br_if $fail (i32.gt_u (i32.add (local.get $s) (i32.const 2)) (local.get $end)))
          (local.set $off (i32.load16_u align=1 (local.get $s)))
          (local.set $s (i32.add (local.get $s) (i32.const 2)))
          (br_if $fail (i32.eqz (local.get $off)))
          (br_if $fail (i32.gt_u (local.get $off) (i32.sub (local.get $d) (local.get $dstart))))
          (local.set $len (i32.add (i32.and (local.get $token) (i32.const 15)) (i32.const 4)))
          (if (i32.eq (i32.and (local.get $token) (i32.const 15)) (i32.const 15))
            (then
              (loop $ml
                (br_if $fail (i32.ge_u (local.get $s) (local.get $end)))
                (local.set $b (i32.load8_u (local.get $s)))
                (local.set $s (i32.add (local.get $s) (i32.const 1)))
                (local.set $len (i32.add (local.get $len) (local.get $b)))
                (br_if $ml (i32.eq (local.get $b) (i32.const 255))))))
          (br_if $fail (i32.gt_u (local.get $len) (i32.sub (local.get $dend) (local.get $d))))
          (local.set $m (i32.sub (local.get $d) (local.get $off)))
          (local.set $stop (i32.add (local.get $d) (local.get $len)))
          (if (i32.ge_u (local.get $off) (i32.const 16))
            (then
              ;; Source at least 16 bytes behind: 16-byte steps (may over-copy into the slack).
              (loop $c16
                (v128.store align=1 (local.get $d) (v128.load align=1 (local.get $m)))
                (local.set $d (i32.add (local.get $d) (i32.const 16)))
                (local.set $m (i32.add (local.get $m) (i32.const 16)))
                (br_if $c16 (i32.lt_u (local.get $d) (local.get $stop)))))
            (else
              (if (i32.ge_u (local.get $off) (i32.const 8))
                (then
                  (loop $c8
                    (i64.store align=1 (local.get $d) (i64.load align=1 (local.get $m)))
                    (local.set $d (i32.add (local.get $d) (i32.const 8)))
                    (local.set $m (i32.add (local.get $m) (i32.const 8)))
                    (br_if $c8 (i32.lt_u (local.get $d) (local.get $stop)))))
                (else
                  ;; Overlapping run (offset < 8): byte by byte.
                  (loop $cp
                    (i32.store8 (local.get $d) (i32.load8_u (local.get $m)))
                    (local.set $d (i32.add (local.get $d) (i32.const 1)))
                    (local.set $m (i32.add (local.get $m) (i32.const 1)))
                    (br_if $cp (i32.lt_u (local.get $d) (local.get $stop))))))))
          (local.set $d (local.get $stop))
          (br $seq)))
      (return (local.get $d)))
    (global.set $errpos (local.get $s))
    (i32.const -1))
)
