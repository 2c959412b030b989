// SweepSpec module.
