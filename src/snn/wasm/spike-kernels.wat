;; Hot loops of the SNN engine as WebAssembly SIMD: event-driven convolution, the fused LIF
;; neuron and BatchNorm.
;; Assembled by scripts/build-wasm.ts into spike-kernels-wasm.ts (base64); see spike-kernels.ts.
;; The module imports the TensorFlow.js WASM backend's own memory, so the kernels read and
;; write tensors where they live: every pointer is a byte offset into that heap, and the caller
;; has checked every shape, so the kernels trust their arguments. Layouts are NHWC with
;; filters [K, K, Ci, Co]; convolutions are stride 1 with 'same' zero padding (K odd).
(module
  (import "env" "memory" (memory 0))

  ;; dst[0..n) += a · src[0..n), 16 then 4 then 1 floats per step.
  (func $axpy (param $dst i32) (param $src i32) (param $a f32) (param $n i32)
    (local $av v128) (local $end i32) (local $end16 i32) (local $end4 i32)
    (local.set $av (f32x4.splat (local.get $a)))
    (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16 (i32.sub (local.get $end) (i32.const 64)))
    (block $done16
      (loop $l16
        (br_if $done16 (i32.gt_u (local.get $dst) (local.get $end16)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst))
          (f32x4.mul (local.get $av) (v128.load (local.get $src)))))
        (v128.store offset=16 (local.get $dst) (f32x4.add (v128.load offset=16 (local.get $dst))
          (f32x4.mul (local.get $av) (v128.load offset=16 (local.get $src)))))
        (v128.store offset=32 (local.get $dst) (f32x4.add (v128.load offset=32 (local.get $dst))
          (f32x4.mul (local.get $av) (v128.load offset=32 (local.get $src)))))
        (v128.store offset=48 (local.get $dst) (f32x4.add (v128.load offset=48 (local.get $dst))
          (f32x4.mul (local.get $av) (v128.load offset=48 (local.get $src)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
        (local.set $src (i32.add (local.get $src) (i32.const 64)))
        (br $l16)))
    (local.set $end4 (i32.sub (local.get $end) (i32.const 16)))
    (block $done4
      (loop $l4
        (br_if $done4 (i32.gt_u (local.get $dst) (local.get $end4)))
        (v128.store (local.get $dst) (f32x4.add (v128.load (local.get $dst))
          (f32x4.mul (local.get $av) (v128.load (local.get $src)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (br $l4)))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $dst) (local.get $end)))
        (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst))
          (f32.mul (local.get $a) (f32.load (local.get $src)))))
        (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
        (local.set $src (i32.add (local.get $src) (i32.const 4)))
        (br $l1))))

  ;; Every non-zero input x[n, h, w, ci] = a reaches, through tap (kh, kw), the output pixel
  ;; (h + p - kh, w + p - kw) when that pixel is inside the image. Per reached pair:
  ;;   mode 0 (forward):         out[n, oh, ow, :]  += a · f[kh, kw, ci, :]
  ;;   mode 1 (filter gradient): f[kh, kw, ci, :]   += a · out[n, oh, ow, :]   (out holds dy)
  ;; so the cost is nnz(x)·K²·Co instead of the dense N·H·W·K²·Ci·Co. Blocks of 4 zero inputs
  ;; are skipped with one SIMD compare: spike tensors are mostly zeros.
  (func (export "spike_conv") (param $x i32) (param $f i32) (param $out i32)
        (param $N i32) (param $H i32) (param $W i32) (param $Ci i32) (param $Co i32) (param $K i32)
        (param $mode i32)
    (local $p i32) (local $pix i32) (local $npix i32) (local $n i32) (local $h i32) (local $w i32)
    (local $xi i32) (local $ci i32) (local $a f32) (local $kh i32) (local $kw i32)
    (local $oh i32) (local $ow i32) (local $fo i32) (local $oo i32) (local $rowBytes i32)
    (local $tapBytes i32)
    (local.set $p (i32.shr_u (i32.sub (local.get $K) (i32.const 1)) (i32.const 1)))
    (local.set $npix (i32.mul (i32.mul (local.get $N) (local.get $H)) (local.get $W)))
    (local.set $rowBytes (i32.shl (local.get $Co) (i32.const 2)))
    (local.set $tapBytes (i32.mul (local.get $Ci) (local.get $rowBytes)))
    (local.set $xi (local.get $x))
    (block $pixDone
      (loop $pixLoop
        (br_if $pixDone (i32.ge_u (local.get $pix) (local.get $npix)))
        (local.set $ci (i32.const 0))
        (block $ciDone
          (loop $ciLoop
            (br_if $ciDone (i32.ge_u (local.get $ci) (local.get $Ci)))
            ;; four zeros in a row: skip them at once
            (if (i32.le_u (i32.add (local.get $ci) (i32.const 4)) (local.get $Ci))
              (then
                (if (i32.eqz (v128.any_true (f32x4.ne
                      (v128.load align=4 (i32.add (local.get $xi) (i32.shl (local.get $ci) (i32.const 2))))
                      (v128.const i32x4 0 0 0 0))))
                  (then
                    (local.set $ci (i32.add (local.get $ci) (i32.const 4)))
                    (br $ciLoop)))))
            (local.set $a (f32.load (i32.add (local.get $xi) (i32.shl (local.get $ci) (i32.const 2)))))
            (if (f32.ne (local.get $a) (f32.const 0))
              (then
                (local.set $kh (i32.const 0))
                (block $khDone
                  (loop $khLoop
                    (br_if $khDone (i32.ge_u (local.get $kh) (local.get $K)))
                    (local.set $oh (i32.sub (i32.add (local.get $h) (local.get $p)) (local.get $kh)))
                    (if (i32.and (i32.ge_s (local.get $oh) (i32.const 0)) (i32.lt_s (local.get $oh) (local.get $H)))
                      (then
                        (local.set $kw (i32.const 0))
                        (block $kwDone
                          (loop $kwLoop
                            (br_if $kwDone (i32.ge_u (local.get $kw) (local.get $K)))
                            (local.set $ow (i32.sub (i32.add (local.get $w) (local.get $p)) (local.get $kw)))
                            (if (i32.and (i32.ge_s (local.get $ow) (i32.const 0)) (i32.lt_s (local.get $ow) (local.get $W)))
                              (then
                                (local.set $fo (i32.add (local.get $f)
                                  (i32.add (i32.mul (i32.add (i32.mul (local.get $kh) (local.get $K)) (local.get $kw)) (local.get $tapBytes))
                                    (i32.mul (local.get $ci) (local.get $rowBytes)))))
                                (local.set $oo (i32.add (local.get $out) (i32.mul
                                  (i32.add (i32.mul (i32.add (i32.mul (local.get $n) (local.get $H)) (local.get $oh)) (local.get $W)) (local.get $ow))
                                  (local.get $rowBytes))))
                                (if (local.get $mode)
                                  (then (call $axpy (local.get $fo) (local.get $oo) (local.get $a) (local.get $Co)))
                                  (else (call $axpy (local.get $oo) (local.get $fo) (local.get $a) (local.get $Co))))))
                            (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                            (br $kwLoop)))))
                    (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
                    (br $khLoop)))))
            (local.set $ci (i32.add (local.get $ci) (i32.const 1)))
            (br $ciLoop)))
        ;; next pixel: advance w, then h, then n
        (local.set $xi (i32.add (local.get $xi) (i32.shl (local.get $Ci) (i32.const 2))))
        (local.set $pix (i32.add (local.get $pix) (i32.const 1)))
        (local.set $w (i32.add (local.get $w) (i32.const 1)))
        (if (i32.eq (local.get $w) (local.get $W))
          (then
            (local.set $w (i32.const 0))
            (local.set $h (i32.add (local.get $h) (i32.const 1)))
            (if (i32.eq (local.get $h) (local.get $H))
              (then
                (local.set $h (i32.const 0))
                (local.set $n (i32.add (local.get $n) (i32.const 1)))))))
        (br $pixLoop))))

  ;; LIF forward over T steps of M neurons (x, s, h: [T, M]; v: [M], holding the initial
  ;; membrane on entry and the final one on exit; counts: [batch] f32, added to). With the
  ;; decay folded in by the caller: h = keep·v + g·x + bias; s = h >= vTh; reset hard
  ;; v = s ? vr : h, soft v = h - s·vTh. M / batch must be a multiple of 4.
  (func (export "lif_forward") (param $x i32) (param $v i32) (param $s i32) (param $h i32)
        (param $counts i32) (param $T i32) (param $M i32) (param $batch i32)
        (param $keep f32) (param $g f32) (param $bias f32) (param $vTh f32) (param $vr f32)
        (param $hard i32)
    (local $per i32) (local $t i32) (local $b i32) (local $j i32) (local $end i32) (local $o i32)
    (local $keepv v128) (local $gv v128) (local $biasv v128) (local $thv v128) (local $vrv v128)
    (local $hh v128) (local $m v128) (local $cnt v128) (local $ones v128) (local $vo i32)
    (local.set $per (i32.div_u (local.get $M) (local.get $batch)))
    (local.set $keepv (f32x4.splat (local.get $keep)))
    (local.set $gv (f32x4.splat (local.get $g)))
    (local.set $biasv (f32x4.splat (local.get $bias)))
    (local.set $thv (f32x4.splat (local.get $vTh)))
    (local.set $vrv (f32x4.splat (local.get $vr)))
    (local.set $ones (f32x4.splat (f32.const 1)))
    (block $tDone
      (loop $tLoop
        (br_if $tDone (i32.ge_u (local.get $t) (local.get $T)))
        (local.set $b (i32.const 0))
        (block $bDone
          (loop $bLoop
            (br_if $bDone (i32.ge_u (local.get $b) (local.get $batch)))
            (local.set $cnt (v128.const i32x4 0 0 0 0))
            (local.set $j (i32.shl (i32.mul (local.get $b) (local.get $per)) (i32.const 2)))
            (local.set $end (i32.add (local.get $j) (i32.shl (local.get $per) (i32.const 2))))
            (block $jDone
              (loop $jLoop
                (br_if $jDone (i32.ge_u (local.get $j) (local.get $end)))
                (local.set $vo (i32.add (local.get $v) (local.get $j)))
                (local.set $o (i32.add (local.get $j) (i32.mul (local.get $t) (i32.shl (local.get $M) (i32.const 2)))))
                (local.set $hh (f32x4.add
                  (f32x4.add (f32x4.mul (local.get $keepv) (v128.load (local.get $vo)))
                             (f32x4.mul (local.get $gv) (v128.load (i32.add (local.get $x) (local.get $o)))))
                  (local.get $biasv)))
                (v128.store (i32.add (local.get $h) (local.get $o)) (local.get $hh))
                (local.set $m (f32x4.ge (local.get $hh) (local.get $thv)))
                (v128.store (i32.add (local.get $s) (local.get $o)) (v128.and (local.get $m) (local.get $ones)))
                (local.set $cnt (i32x4.sub (local.get $cnt) (local.get $m)))
                (v128.store (local.get $vo)
                  (if (result v128) (local.get $hard)
                    (then (v128.bitselect (local.get $vrv) (local.get $hh) (local.get $m)))
                    (else (f32x4.sub (local.get $hh) (v128.and (local.get $m) (local.get $thv))))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br $jLoop)))
            (local.set $o (i32.add (local.get $counts) (i32.shl (local.get $b) (i32.const 2))))
            (f32.store (local.get $o) (f32.add (f32.load (local.get $o)) (f32.convert_i32_u (i32.add
              (i32.add (i32x4.extract_lane 0 (local.get $cnt)) (i32x4.extract_lane 1 (local.get $cnt)))
              (i32.add (i32x4.extract_lane 2 (local.get $cnt)) (i32x4.extract_lane 3 (local.get $cnt)))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br $bLoop)))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $tLoop))))

  ;; Surrogate derivative of the spike at u = h - vTh, 4 lanes: 0 ATan (α/2)/(1+(πα/2·u)²),
  ;; 2 fast-sigmoid 1/(1+α|u|)², 3 rectangular 1/α where |u| < α/2. (1 sigmoid needs exp: JS.)
  (func $surrogate (param $kind i32) (param $alpha f32) (param $u v128) (result v128)
    (local $d v128)
    (if (i32.eqz (local.get $kind))
      (then
        (local.set $d (f32x4.mul (f32x4.splat (f32.mul (local.get $alpha) (f32.const 1.5707963267948966))) (local.get $u)))
        (return (f32x4.div (f32x4.splat (f32.mul (local.get $alpha) (f32.const 0.5)))
          (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $d) (local.get $d)))))))
    (if (i32.eq (local.get $kind) (i32.const 2))
      (then
        (local.set $d (f32x4.add (f32x4.splat (f32.const 1)) (f32x4.mul (f32x4.splat (local.get $alpha)) (f32x4.abs (local.get $u)))))
        (return (f32x4.div (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $d) (local.get $d))))))
    (v128.and (f32x4.lt (f32x4.abs (local.get $u)) (f32x4.splat (f32.mul (local.get $alpha) (f32.const 0.5))))
      (f32x4.splat (f32.div (f32.const 1) (local.get $alpha)))))

;; LIF BPTT over T steps of M neurons (gs, h, s, gx: [T, M]), t from T-1 down to 0, each
  ;; step one sequential sweep over the M neurons, 4 at a time; gv [M] (zeroed by the caller)
  ;; carries dL/dv between steps: gh = (gs + gv·dv/ds)·σ'(h - vTh) + gv·dv/dh; gx = g·gh;
  ;; gv = keep·gh, with dv/dh = hard ? 1 - s : 1 and dv/ds = detach ? 0 : hard ? vr - h : -vTh.
  ;; M a multiple of 4.
  (func (export "lif_backward") (param $gs i32) (param $h i32) (param $s i32) (param $gx i32)
        (param $gv i32) (param $T i32) (param $M i32) (param $keep f32) (param $g f32) (param $vTh f32)
        (param $vr f32) (param $hard i32) (param $detach i32) (param $kind i32) (param $alpha f32)
    (local $j i32) (local $t i32) (local $o i32) (local $row i32) (local $gvv v128) (local $hh v128)
    (local $ss v128) (local $dvds v128) (local $dvdh v128) (local $gh v128) (local $one v128)
    (local $gvp i32)
    (local.set $row (i32.shl (local.get $M) (i32.const 2)))
    (local.set $one (f32x4.splat (f32.const 1)))
    (local.set $t (local.get $T))
    (block $tDone
      (loop $tLoop
        (br_if $tDone (i32.eqz (local.get $t)))
        (local.set $t (i32.sub (local.get $t) (i32.const 1)))
        (local.set $j (i32.const 0))
        (block $jDone
          (loop $jLoop
            (br_if $jDone (i32.ge_u (local.get $j) (local.get $row)))
            (local.set $o (i32.add (local.get $j) (i32.mul (local.get $t) (local.get $row))))
            (local.set $gvp (i32.add (local.get $gv) (local.get $j)))
            (local.set $gvv (v128.load (local.get $gvp)))
            (local.set $hh (v128.load (i32.add (local.get $h) (local.get $o))))
            (local.set $ss (v128.load (i32.add (local.get $s) (local.get $o))))
            (local.set $dvdh (if (result v128) (local.get $hard)
              (then (f32x4.sub (local.get $one) (local.get $ss))) (else (local.get $one))))
            (local.set $dvds (if (result v128) (local.get $detach)
              (then (v128.const i32x4 0 0 0 0))
              (else (if (result v128) (local.get $hard)
                (then (f32x4.sub (f32x4.splat (local.get $vr)) (local.get $hh)))
                (else (f32x4.splat (f32.neg (local.get $vTh))))))))
            (local.set $gh (f32x4.add
              (f32x4.mul
                (f32x4.add (v128.load (i32.add (local.get $gs) (local.get $o))) (f32x4.mul (local.get $gvv) (local.get $dvds)))
                (call $surrogate (local.get $kind) (local.get $alpha) (f32x4.sub (local.get $hh) (f32x4.splat (local.get $vTh)))))
              (f32x4.mul (local.get $gvv) (local.get $dvdh))))
            (v128.store (i32.add (local.get $gx) (local.get $o)) (f32x4.mul (local.get $gh) (f32x4.splat (local.get $g))))
            (v128.store (local.get $gvp) (f32x4.mul (local.get $gh) (f32x4.splat (local.get $keep))))
            (local.set $j (i32.add (local.get $j) (i32.const 16)))
            (br $jLoop)))
        (br $tLoop))))

  ;; Per-channel sums over n rows of C channels (C a multiple of 4), accumulated in float64
  ;; into s1, s2 [C] (zeroed by the caller). Without dy: s1 += x, s2 += x². With dy (≠ 0):
  ;; s1 += dy, s2 += dy·(x - mean[c]). BatchNorm's statistics and its gradient sums.
  (func (export "channel_sums") (param $x i32) (param $dy i32) (param $mean i32) (param $n i32)
        (param $C i32) (param $s1 i32) (param $s2 i32)
    (local $r i32) (local $c i32) (local $row i32) (local $a v128) (local $b v128)
    (local $o1 i32) (local $o2 i32) (local $cb i32)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $c (i32.const 0))
        (block $cDone
          (loop $cLoop
            (br_if $cDone (i32.ge_u (local.get $c) (local.get $row)))
            (if (local.get $dy)
              (then
                (local.set $a (v128.load (i32.add (local.get $dy) (local.get $c))))
                (local.set $b (f32x4.mul (local.get $a)
                  (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $c))) (v128.load (i32.add (local.get $mean) (local.get $c)))))))
              (else
                (local.set $a (v128.load (i32.add (local.get $x) (local.get $c))))
                (local.set $b (f32x4.mul (local.get $a) (local.get $a)))))
            ;; channel c/4 .. c/4+3 -> two float64 pairs at byte 2c in s1 and s2
            (local.set $cb (i32.shl (local.get $c) (i32.const 1)))
            (local.set $o1 (i32.add (local.get $s1) (local.get $cb)))
            (local.set $o2 (i32.add (local.get $s2) (local.get $cb)))
            (v128.store (local.get $o1) (f64x2.add (v128.load (local.get $o1)) (f64x2.promote_low_f32x4 (local.get $a))))
            (v128.store offset=16 (local.get $o1) (f64x2.add (v128.load offset=16 (local.get $o1))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))))
            (v128.store (local.get $o2) (f64x2.add (v128.load (local.get $o2)) (f64x2.promote_low_f32x4 (local.get $b))))
            (v128.store offset=16 (local.get $o2) (f64x2.add (v128.load offset=16 (local.get $o2))
              (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $cLoop)))
        (local.set $x (i32.add (local.get $x) (local.get $row)))
        (if (local.get $dy) (then (local.set $dy (i32.add (local.get $dy) (local.get $row)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))

  ;; out = a[c]·P + b[c]·Q + k[c] over n rows of C channels (C a multiple of 4): BatchNorm's
  ;; normalisation (Q = P, b = 0) and its input gradient (P = dy, Q = x).
  (func (export "channel_affine") (param $P i32) (param $Q i32) (param $n i32) (param $C i32)
        (param $a i32) (param $b i32) (param $k i32) (param $out i32)
    (local $r i32) (local $c i32) (local $row i32)
    (local.set $row (i32.shl (local.get $C) (i32.const 2)))
    (block $rDone
      (loop $rLoop
        (br_if $rDone (i32.ge_u (local.get $r) (local.get $n)))
        (local.set $c (i32.const 0))
        (block $cDone
          (loop $cLoop
            (br_if $cDone (i32.ge_u (local.get $c) (local.get $row)))
            (v128.store (i32.add (local.get $out) (local.get $c))
              (f32x4.add
                (f32x4.add
                  (f32x4.mul (v128.load (i32.add (local.get $a) (local.get $c))) (v128.load (i32.add (local.get $P) (local.get $c))))
                  (f32x4.mul (v128.load (i32.add (local.get $b) (local.get $c))) (v128.load (i32.add (local.get $Q) (local.get $c)))))
                (v128.load (i32.add (local.get $k) (local.get $c)))))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br $cLoop)))
        (local.set $P (i32.add (local.get $P) (local.get $row)))
        (local.set $Q (i32.add (local.get $Q) (local.get $row)))
        (local.set $out (i32.add (local.get $out) (local.get $row)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $rLoop))))

  ;; Non-zero count of n floats at $x (decides between the event-driven and the dense path).
  (func (export "count_nonzero") (param $x i32) (param $n i32) (result i32)
    (local $end i32) (local $end4 i32) (local $acc v128) (local $count i32)
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end4 (i32.sub (local.get $end) (i32.const 16)))
    (block $done4
      (loop $l4
        (br_if $done4 (i32.gt_u (local.get $x) (local.get $end4)))
        ;; lanes are -1 where non-zero: subtracting counts them
        (local.set $acc (i32x4.sub (local.get $acc)
          (f32x4.ne (v128.load align=4 (local.get $x)) (v128.const i32x4 0 0 0 0))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (br $l4)))
    (local.set $count (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $acc)) (i32x4.extract_lane 1 (local.get $acc)))
      (i32.add (i32x4.extract_lane 2 (local.get $acc)) (i32x4.extract_lane 3 (local.get $acc)))))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $x) (local.get $end)))
        (if (f32.ne (f32.load (local.get $x)) (f32.const 0))
          (then (local.set $count (i32.add (local.get $count) (i32.const 1)))))
        (local.set $x (i32.add (local.get $x) (i32.const 4)))
        (br $l1)))
    (local.get $count)))
