#ifndef UTENSOR_KERNELS_ARCH_HPP
#define UTENSOR_KERNELS_ARCH_HPP

// Build-time choice between the portable reference kernels (runtime/src/kernels/reference)
// and Arm-optimized variants of the same functions (runtime/src/kernels/arm). Every kernel
// source is compiled everywhere; each file keeps only the variant this macro selects, so
// exactly one definition of each function links. Both variants give identical results
// (int8 bit for bit); the conformance tests run the reference on the host and the QEMU
// runs exercise the Arm variants.
//
// UTENSOR_KERNELS_DSP is 1 when the target has the Armv7E-M / Armv8-M DSP extension
// (SIMD32: SMLAD, SXTB16; Cortex-M4, M7, M33, M55) and UTENSOR_REFERENCE_KERNELS is not
// defined (define it to force the reference kernels, e.g. to compare them).
// UTENSOR_KERNELS_MVE is 1 when the target also has integer Helium (M-profile Vector
// Extension; Cortex-M55, M85). A kernel with an MVE variant prefers it over its DSP one.

#if !defined(UTENSOR_REFERENCE_KERNELS) && defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#define UTENSOR_KERNELS_DSP 1
#else
#define UTENSOR_KERNELS_DSP 0
#endif

#if !defined(UTENSOR_REFERENCE_KERNELS) && defined(__ARM_FEATURE_MVE) && (__ARM_FEATURE_MVE & 1)
#define UTENSOR_KERNELS_MVE 1
#else
#define UTENSOR_KERNELS_MVE 0
#endif

#endif  // UTENSOR_KERNELS_ARCH_HPP
