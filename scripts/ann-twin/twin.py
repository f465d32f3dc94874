"""ANN twins of the gesture SNN, trained on the frames export-frames.ts wrote, to tell whether the
data or the spiking network limits accuracy. Same conv stack as the `gesture` backbone (conv16,
pool, conv32, conv32, pool, conv64, pool, linear head) with BatchNorm + ReLU instead of LIF:

  static   each step's frame alone, logits averaged over steps (no memory across steps)
  stacked  all T steps as 2T input channels (full access to temporal order)
  gru      per-step conv features, a GRU over steps

Validation: a fixed 10 % of the training samples (their plain frames); test: gesture rows only.
Run with Debian's torch:  /usr/bin/python3 scripts/ann-twin/twin.py OUT_DIR KIND [THREADS] [SEED] [EPOCHS]
"""
import json, sys, time
import numpy as np, torch, torch.nn as nn

D, kind = sys.argv[1], sys.argv[2]
opt_args = [int(v) for v in sys.argv[3:6]]
threads, seed, E = opt_args + [1, 1, 20][len(opt_args):]
torch.set_num_threads(threads); torch.manual_seed(seed)
meta = json.load(open(f'{D}/meta.json')); p = meta['p']
T, H, W, C = p['steps'], p['height'], p['width'], len(meta['classes'])
GESTURES = C - 1 if meta['classes'][-1] == 'background' else C

def load(name):
    x = np.fromfile(f'{D}/{name}-x.f32', dtype=np.float32).reshape(-1, T, H, W, 2)
    y = np.fromfile(f'{D}/{name}-y.i32', dtype=np.int32)
    return torch.from_numpy(np.log1p(x)).permute(0, 1, 4, 2, 3).contiguous(), torch.from_numpy(y).long()

Xa, Ya = load('train'); X0, Y0 = load('train0'); Xt, Yt = load('test')
n = meta['nTrain']; perm = np.random.default_rng(seed).permutation(n); val, tr = perm[: n // 10], perm[n // 10:]
rows = np.concatenate([tr + c * n for c in range(meta['copies'])])
Xtr, Ytr, Xv, Yv = Xa[rows], Ya[rows], X0[val], Y0[val]

def block(i, o): return [nn.Conv2d(i, o, 3, padding=1, bias=False), nn.BatchNorm2d(o), nn.ReLU()]
def trunk(cin): return nn.Sequential(*block(cin, 16), nn.AvgPool2d(2), *block(16, 32), *block(32, 32), nn.AvgPool2d(2), *block(32, 64), nn.AvgPool2d(2), nn.Flatten())
FEAT = 64 * (H // 8) * (W // 8)

class Static(nn.Module):
    def __init__(s): super().__init__(); s.f = trunk(2); s.h = nn.Linear(FEAT, C)
    def forward(s, x): return s.h(s.f(x.flatten(0, 1))).view(x.shape[0], T, C).mean(1)

class Stacked(nn.Module):
    def __init__(s): super().__init__(); s.f = trunk(2 * T); s.h = nn.Linear(FEAT, C)
    def forward(s, x): return s.h(s.f(x.flatten(1, 2)))

class Gru(nn.Module):
    def __init__(s): super().__init__(); s.f = trunk(2); s.r = nn.GRU(FEAT, 128, batch_first=True); s.h = nn.Linear(128, C)
    def forward(s, x): o, _ = s.r(s.f(x.flatten(0, 1)).view(x.shape[0], T, -1)); return s.h(o).mean(1)

net = {'static': Static, 'stacked': Stacked, 'gru': Gru}[kind]()
opt = torch.optim.Adam(net.parameters(), 1e-3)
sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, E)

def predict(X):
    net.eval()
    with torch.no_grad(): out = torch.cat([net(X[i:i + 64]).argmax(1) for i in range(0, len(X), 64)])
    net.train(); return out

def gesture_acc(X, Y):
    keep = Y < GESTURES
    return (predict(X)[keep] == Y[keep]).float().mean().item()

t0 = time.process_time(); best = (-1.0, 0.0, 0)
for ep in range(1, E + 1):
    idx = torch.randperm(len(Xtr)); total = 0.0
    for i in range(0, len(idx), 32):
        b = idx[i:i + 32]; opt.zero_grad()
        loss = nn.functional.cross_entropy(net(Xtr[b]), Ytr[b]); loss.backward(); opt.step(); total += loss.item() * len(b)
    sched.step()
    va, te = gesture_acc(Xv, Yv), gesture_acc(Xt, Yt)
    if va > best[0]: best = (va, te, ep)
    print(f'{kind} epoch {ep} ({ep * meta["copies"]} sample visits) loss {total / len(idx):.3f} '
          f'train (plain) {gesture_acc(X0[tr], Y0[tr]):.3f} val {va:.3f} test {te:.3f}', flush=True)
print(f'RESULT {kind} seed {seed}: best validation {best[0]:.3f} at epoch {best[2]} -> test gesture rows {best[1]:.3f}; '
      f'last epoch test {te:.3f}; {time.process_time() - t0:.0f} CPU s')
cm = np.zeros((C, C), int)
for y, q in zip(Yt.tolist(), predict(Xt).tolist()): cm[y, q] += 1
for i in range(C): print(f"{meta['classes'][i][:14]:14s}", ' '.join(f'{v:3d}' for v in cm[i]))
