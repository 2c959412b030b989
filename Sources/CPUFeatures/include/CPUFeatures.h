// What the CPU can run, for choosing the training core's kernel variant at run time.
#ifndef SEGSWEEP_CPU_FEATURES_H
#define SEGSWEEP_CPU_FEATURES_H

/// 1 when the CPU runs x86-64-v3 code (AVX2, FMA, BMI1/2, F16C, MOVBE) and the OS saves its
/// registers; 0 otherwise, and on every other architecture.
int segsweep_cpu_supports_x86_64_v3(void);

/// 1 when the CPU runs x86-64-v4 code (AVX-512 F, BW, CD, DQ, VL) and the OS saves its
/// registers; 0 otherwise, and on every other architecture.
int segsweep_cpu_supports_x86_64_v4(void);

#endif
