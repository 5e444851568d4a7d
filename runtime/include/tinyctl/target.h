/* tinyctl runtime: what the target a model was compiled for selects.
 *
 * The generated source defines TC_TARGET_<CORE> (from `tinyctl compile --target`) before it includes any
 * runtime header. Two things follow from it:
 *
 * TC_FAST_ACTIVATIONS  tanh, sigmoid, softplus and elu by the approximations of activations_fast.h instead of
 *                      libm (newlib's expf and tanhf cost 69 and 101 instructions a call on a Cortex-M4F). It is
 *                      portable C, so the host build that verifies a cortex-m4f model runs the same arithmetic.
 * TC_ARMV7EM_KERNELS   the Cortex-M4F/M7 kernels (dense_armv7em.h, recurrent_armv7em.h): register-blocked
 *                      matrix-vector products in inline assembly. Only when the C compiler really targets
 *                      ARMv7E-M with an FPU and optimises (the kernels take their sizes as immediates); anywhere
 *                      else, the host among them, the reference kernels under the same names.
 * TC_ARMV7EM_DSP       the integer kernels' SIMD multiply-accumulate (SMLAD) on cores with the DSP extension.
 *
 * Define TC_REFERENCE_KERNELS to force the reference kernels on any target (tests compare the two). */
#ifndef TINYCTL_TARGET_H
#define TINYCTL_TARGET_H

#if defined(TC_TARGET_CORTEX_M4F) || defined(TC_TARGET_CORTEX_M7)
#define TC_FAST_ACTIVATIONS 1
#if defined(__GNUC__) && defined(__ARM_ARCH_7EM__) && defined(__ARM_FP) && (__ARM_FP & 4) \
    && defined(__OPTIMIZE__) && !defined(TC_REFERENCE_KERNELS)
#define TC_ARMV7EM_KERNELS 1
#endif
#endif

#if defined(__GNUC__) && defined(__ARM_FEATURE_DSP) && defined(__OPTIMIZE__) && !defined(TC_REFERENCE_KERNELS)
#define TC_ARMV7EM_DSP 1
#endif

#endif
