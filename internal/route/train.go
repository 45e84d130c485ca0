package route

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Example is one labelled request for training: Label is 1 when the local model's answer was
// as good as the cloud model's, 0 when it was not (fractions are allowed).
type Example struct {
	F      Features
	Label  float64
	Weight float64 // 0 means 1
}

// TrainOpts tunes Train; zero fields take the defaults shown.
type TrainOpts struct {
	Name     string  // "" means "lr"
	HashBits int     // log2 of the hashed buckets; 0 means 18
	Epochs   int     // passes over the examples; 0 means 8
	Rate     float64 // AdaGrad step; 0 means 0.05
	L2       float64 // L2 penalty per example on hashed weights; 0 means 1e-4
	DenseL2  float64 // L2 penalty per example on dense weights; 0 means 1e-4
	Seed     uint64  // shuffling seed
}

func (o TrainOpts) withDefaults() TrainOpts {
	if o.Name == "" {
		o.Name = "lr"
	}
	if o.HashBits == 0 {
		o.HashBits = 18
	}
	if o.Epochs == 0 {
		o.Epochs = 8
	}
	if o.Rate == 0 {
		o.Rate = 0.05
	}
	if o.L2 == 0 {
		o.L2 = 1e-4
	}
	if o.DenseL2 == 0 {
		o.DenseL2 = 1e-4
	}
	return o
}

// Train fits a logistic regression to the examples with AdaGrad, deterministically for a given
// Seed. The model it returns is uncalibrated (PlattA 1, PlattB 0); fit the calibration on
// held-out logits with Calibrate.
func Train(ex []Example, opts TrainOpts) *Model {
	opts = opts.withDefaults()
	info := ModelInfo{
		Name:           opts.Name,
		FeatureVersion: FeatureVersion,
		HashBits:       opts.HashBits,
		Dense:          DenseNames[:],
		Mean:           make([]float64, NumDense),
		Std:            make([]float64, NumDense),
		Weights:        make([]float64, NumDense),
		PlattA:         1,
	}
	// Standardize the dense features; a constant feature keeps std 1 and, under L2, weight 0.
	for _, e := range ex {
		for i, x := range e.F.Dense {
			info.Mean[i] += float64(x)
		}
	}
	n := float64(max(len(ex), 1))
	for i := range info.Mean {
		info.Mean[i] /= n
	}
	for _, e := range ex {
		for i, x := range e.F.Dense {
			d := float64(x) - info.Mean[i]
			info.Std[i] += d * d
		}
	}
	for i := range info.Std {
		info.Std[i] = math.Sqrt(info.Std[i] / n)
		if info.Std[i] < 1e-6 {
			info.Std[i] = 1
		}
	}

	size := 1 << opts.HashBits
	mask := uint32(size - 1)
	wh := make([]float64, size)
	gh := make([]float64, size)
	var wd, gd [NumDense]float64
	var bias, gb float64
	const eps = 1e-8

	order := make([]int, len(ex))
	for i := range order {
		order[i] = i
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x5eed))
	var x [NumDense]float64
	for range opts.Epochs {
		rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, k := range order {
			e := &ex[k]
			for i, v := range e.F.Dense {
				x[i] = (float64(v) - info.Mean[i]) / info.Std[i]
			}
			z := bias
			for i := range x {
				z += wd[i] * x[i]
			}
			norm := float64(e.F.HashNorm)
			for _, h := range e.F.Hashed {
				z += wh[h.Hash&mask] * float64(h.Value) * norm
			}
			weight := e.Weight
			if weight == 0 {
				weight = 1
			}
			g := (sigmoid(z) - e.Label) * weight // d loss / d z
			gb += g * g
			bias -= opts.Rate * g / math.Sqrt(gb+eps)
			for i := range x {
				gi := g*x[i] + opts.DenseL2*wd[i]
				gd[i] += gi * gi
				wd[i] -= opts.Rate * gi / math.Sqrt(gd[i]+eps)
			}
			for _, h := range e.F.Hashed {
				j := h.Hash & mask
				gi := g*float64(h.Value)*norm + opts.L2*wh[j]
				gh[j] += gi * gi
				wh[j] -= opts.Rate * gi / math.Sqrt(gh[j]+eps)
			}
		}
	}
	info.Bias = bias
	copy(info.Weights, wd[:])
	w32 := make([]float32, size)
	for i, w := range wh {
		w32[i] = float32(w)
	}
	return newModel(info, w32)
}

// Calibrate fits the Platt scaling p = σ(a·z + b) of logits z to labels y (Newton's method on
// the log loss, with Platt's smoothed targets) and returns a copy of m that uses it.
func Calibrate(m *Model, z, y []float64) *Model {
	// Platt's targets keep a and b finite on separable data.
	var pos, neg float64
	for _, v := range y {
		pos += v
		neg += 1 - v
	}
	hi, lo := (pos+1)/(pos+2), 1/(neg+2)
	t := make([]float64, len(y))
	for i, v := range y {
		t[i] = lo + v*(hi-lo)
	}
	a, b := 1.0, 0.0
	for range 100 {
		var ga, gb, haa, hab, hbb float64
		for i, zi := range z {
			p := sigmoid(a*zi + b)
			d := p - t[i]
			w := max(p*(1-p), 1e-12)
			ga += d * zi
			gb += d
			haa += w * zi * zi
			hab += w * zi
			hbb += w
		}
		var da, db float64
		if det := haa*hbb - hab*hab; det > 1e-12 {
			da = (hbb*ga - hab*gb) / det
			db = (haa*gb - hab*ga) / det
		} else {
			db = gb / hbb // all logits alike: fit the intercept alone
		}
		a -= da
		b -= db
		if math.Abs(da)+math.Abs(db) < 1e-10 {
			break
		}
	}
	info := m.info
	info.PlattA, info.PlattB = a, b
	info.Dense = slices.Clone(info.Dense)
	return newModel(info, m.hashed)
}

// WithTraining returns a copy of m whose header records how it was made.
func WithTraining(m *Model, training map[string]any) *Model {
	info := m.info
	info.Training = training
	return newModel(info, m.hashed)
}
