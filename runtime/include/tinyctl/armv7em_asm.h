/* tinyctl runtime: the Cortex-M4F/M7 (ARMv7E-M + FPU) float kernels' building blocks, in inline assembly.
 *
 * Why assembly: gcc keeps one weight per VLDR and one accumulator per row (5 instructions per multiply-
 * accumulate at -O2, about 2 at -O3 for unrolled 16-wide rows). These kernels load 8 weights per VLDM, keep
 * up to 16 inputs and 8 accumulators in registers and issue one VFMA per multiply-accumulate, about 1.15
 * instructions per MAC whatever -O level the firmware is built with.
 *
 * Register use in every block: s0-s7 weights (or operands), s8-s15 the accumulators of up to 8 output rows,
 * s16-s31 a panel of up to 16 inputs (or the activation's constants). Sizes are assembly-time constants
 * ("i" operands) that GNU as macros unroll (.altmacro: %expr turns a value into a register number); the
 * macros are defined and purged inside each asm statement, so a statement stands alone wherever gcc puts it.
 *
 * A block computes R <= 8 rows: accumulators from the bias (or zero), then for each weight source (W with x,
 * optionally a second R with h: the GRU's gates) the input panels of 16 columns: per row, its weights in
 * chunks of 8 (VLDM with writeback) and one VFMA per column. Rows of more than 16 columns step the weight
 * pointer to the next row's panel and rewind it to the next panel after R rows. Then the activation, fused on
 * the accumulators (relu, tanh, sigmoid: exactly the arithmetic of activations_fast.h), and one VSTM. */
#ifndef TINYCTL_ARMV7EM_ASM_H
#define TINYCTL_ARMV7EM_ASM_H

#define TC_ASM_BEGIN \
    ".altmacro\n" \
    /* VLDM/VSTM of count registers from s<first>, with or without writeback */ \
    ".macro tc_vx op, base, first, count, wb\n" \
    "  tc_vx_ \\op, \\base, \\first, %%(\\first+\\count-1), \\wb\n" \
    ".endm\n" \
    ".macro tc_vx_ op, base, first, last, wb\n" \
    "  .if \\wb\n" \
    "    .if \\first == \\last\n" \
    "      \\op\\()ia \\base!, {s\\first}\n" \
    "    .else\n" \
    "      \\op\\()ia \\base!, {s\\first-s\\last}\n" \
    "    .endif\n" \
    "  .else\n" \
    "    .if \\first == \\last\n" \
    "      \\op\\()ia \\base, {s\\first}\n" \
    "    .else\n" \
    "      \\op\\()ia \\base, {s\\first-s\\last}\n" \
    "    .endif\n" \
    "  .endif\n" \
    ".endm\n" \
    ".macro tc_op3 op, d, a, b\n" \
    "  \\op\\().f32 s\\d, s\\a, s\\b\n" \
    ".endm\n" \
    /* s<acc+i> op= s<a+i> (x) s<b+i>, i < n */ \
    ".macro tc_vec op, n, d, a, b\n" \
    "  .set tc_e, 0\n" \
    "  .rept \\n\n" \
    "    tc_op3 \\op, %%(\\d+tc_e), %%(\\a+tc_e), %%(\\b+tc_e)\n" \
    "    .set tc_e, tc_e+1\n" \
    "  .endr\n" \
    ".endm\n" \
    /* s<acc> += s<0..n-1> * s<x..x+n-1> */ \
    ".macro tc_dot acc, n, x\n" \
    "  .set tc_j, 0\n" \
    "  .rept \\n\n" \
    "    tc_op3 vfma, \\acc, %%tc_j, %%(\\x+tc_j)\n" \
    "    .set tc_j, tc_j+1\n" \
    "  .endr\n" \
    ".endm\n" \
    /* one row's share of a panel: its kp weights in chunks of 8 */ \
    ".macro tc_row w, acc, kp\n" \
    "  .set tc_c, 0\n" \
    "  .rept (\\kp+7)/8\n" \
    "    .set tc_n, \\kp-tc_c\n" \
    "    .if tc_n > 8\n" \
    "      .set tc_n, 8\n" \
    "    .endif\n" \
    "    tc_vx vldm, \\w, 0, %%tc_n, 1\n" \
    "    tc_dot \\acc, %%tc_n, %%(16+tc_c)\n" \
    "    .set tc_c, tc_c+8\n" \
    "  .endr\n" \
    ".endm\n" \
    ".macro tc_imm op, reg, v\n" \
    "  \\op\\()w \\reg, \\reg, #\\v\n" \
    ".endm\n" \
    /* pointer arithmetic by an immediate of any size, in steps ADDW/SUBW can encode */ \
    ".macro tc_step op, reg, bytes\n" \
    "  .set tc_left, \\bytes\n" \
    "  .rept (\\bytes+4095)/4096\n" \
    "    .if tc_left > 4095\n" \
    "      \\op\\()w \\reg, \\reg, #4092\n" \
    "      .set tc_left, tc_left-4092\n" \
    "    .else\n" \
    "      .if tc_left > 0\n" \
    "        tc_imm \\op, \\reg, %%tc_left\n" \
    "      .endif\n" \
    "      .set tc_left, 0\n" \
    "    .endif\n" \
    "  .endr\n" \
    ".endm\n" \
    ".macro tc_movi reg, v\n" \
    "  mov \\reg, #\\v\n" \
    ".endm\n" \
    /* one panel of kp <= 16 columns over r rows; w moves on to the same panel of the next row after each, and
     * back to the next panel of the first row at the end */ \
    ".macro tc_panel w, xq, k, kp, r\n" \
    "  tc_vx vldm, \\xq, 16, \\kp, 1\n" \
    "  .set tc_i, 0\n" \
    "  .rept \\r\n" \
    "    tc_row \\w, %%(8+tc_i), \\kp\n" \
    "    tc_step add, \\w, %%(4*(\\k-\\kp))\n" \
    "    .set tc_i, tc_i+1\n" \
    "  .endr\n" \
    "  tc_step sub, \\w, %%(4*(\\r*\\k-\\kp))\n" \
    ".endm\n" \
    /* r rows of weights w [rows][k] against the input x, accumulated into s8..: inputs held in s16.., full
     * panels of 16 in a loop (counter pc), the remainder unrolled; w ends at the row after the last */ \
    ".macro tc_src w, x, xq, pc, k, r\n" \
    "  .if \\k <= 16\n" \
    "    tc_vx vldm, \\x, 16, \\k, 0\n" \
    "    .set tc_i, 0\n" \
    "    .rept \\r\n" \
    "      tc_row \\w, %%(8+tc_i), \\k\n" \
    "      .set tc_i, tc_i+1\n" \
    "    .endr\n" \
    "  .else\n" \
    "    mov \\xq, \\x\n" \
    "    .if \\k/16 > 1\n" \
    "      tc_movi \\pc, %%(\\k/16)\n" \
    "2:\n" \
    "      tc_panel \\w, \\xq, \\k, 16, \\r\n" \
    "      subs \\pc, \\pc, #1\n" \
    "      bne 2b\n" \
    "    .else\n" \
    "      tc_panel \\w, \\xq, \\k, 16, \\r\n" \
    "    .endif\n" \
    "    .if \\k-(\\k/16)*16\n" \
    "      tc_panel \\w, \\xq, \\k, %%(\\k-(\\k/16)*16), \\r\n" \
    "    .endif\n" \
    "    tc_step add, \\w, %%(4*(\\r-1)*\\k)\n" \
    "  .endif\n" \
    ".endm\n" \
    /* activations on the accumulators s8..s<8+r-1>; tanh and sigmoid need the constant table in cp */ \
    ".macro tc_act_0 r, cp\n" \
    ".endm\n" \
    ".macro tc_relu1 a\n" \
    "  vcmp.f32 s\\a, #0\n" \
    "  vmrs APSR_nzcv, fpscr\n" \
    "  it mi\n" \
    "  vmovmi.f32 s\\a, s0\n" \
    ".endm\n" \
    ".macro tc_act_1 r, cp\n" \
    "  vmov.f32 s0, #1.0\n" \
    "  vsub.f32 s0, s0, s0\n" \
    "  .set tc_i, 0\n" \
    "  .rept \\r\n" \
    "    tc_relu1 %%(8+tc_i)\n" \
    "    .set tc_i, tc_i+1\n" \
    "  .endr\n" \
    ".endm\n" \
    /* tc_tanh_fast / tc_sigmoid_fast of s<a>: cp -> P4..P0, Q4..Q1, 1; s28 = 1, s29 = 0, s30 = 1/2 */ \
    ".macro tc_rat1 a, cp, fb, half\n" \
    "  vldmia \\cp, {s16-s25}\n" \
    "  vabs.f32 s26, s\\a\n" \
    "  vcvt.s32.f32 s\\a, s\\a, #\\fb\n" \
    "  vcvt.f32.s32 s\\a, s\\a, #\\fb\n" \
    "  vmul.f32 s27, s\\a, s\\a\n" \
    "  vfma.f32 s17, s16, s27\n" \
    "  vfma.f32 s18, s17, s27\n" \
    "  vfma.f32 s19, s18, s27\n" \
    "  vfma.f32 s20, s19, s27\n" \
    "  vfma.f32 s22, s21, s27\n" \
    "  vfma.f32 s23, s22, s27\n" \
    "  vfma.f32 s24, s23, s27\n" \
    "  vfma.f32 s25, s24, s27\n" \
    "  vadd.f32 s26, s26, s28\n" \
    "  vdiv.f32 s26, s29, s26\n" \
    "  vfma.f32 s26, s\\a, s20\n" \
    "  vdiv.f32 s\\a, s26, s25\n" \
    "  .if \\half\n" \
    "    vadd.f32 s\\a, s\\a, s30\n" \
    "  .endif\n" \
    ".endm\n" \
    ".macro tc_rat r, cp, fb, half\n" \
    "  vldr.f32 s28, [\\cp, #40]\n" \
    "  vldr.f32 s29, [\\cp, #44]\n" \
    "  vldr.f32 s30, [\\cp, #48]\n" \
    "  .set tc_i, 0\n" \
    "  .rept \\r\n" \
    "    tc_rat1 %%(8+tc_i), \\cp, \\fb, \\half\n" \
    "    .set tc_i, tc_i+1\n" \
    "  .endr\n" \
    ".endm\n" \
    ".macro tc_act_4 r, cp\n" /* TC_ACT_TANH */ \
    "  tc_rat \\r, \\cp, 28, 0\n" \
    ".endm\n" \
    ".macro tc_act_5 r, cp\n" /* TC_ACT_SIGMOID */ \
    "  tc_rat \\r, \\cp, 27, 1\n" \
    ".endm\n"

#define TC_ASM_END \
    ".purgem tc_vx\n.purgem tc_vx_\n.purgem tc_op3\n.purgem tc_vec\n.purgem tc_dot\n.purgem tc_row\n" \
    ".purgem tc_imm\n.purgem tc_step\n.purgem tc_movi\n.purgem tc_panel\n.purgem tc_src\n.purgem tc_act_0\n.purgem tc_relu1\n.purgem tc_act_1\n.purgem tc_rat1\n" \
    ".purgem tc_rat\n.purgem tc_act_4\n.purgem tc_act_5\n.noaltmacro\n"

/* gcc sizes an asm statement by its lines (4 bytes each) when it places literal pools; the macros expand to
 * far more instructions than lines, so each statement ends with enough empty lines to cover what it expands
 * to (TC_ASM_PAD_*), chosen from a bound on its instructions. */
#define TC_NL8 "\n\n\n\n\n\n\n\n"
#define TC_NL64 TC_NL8 TC_NL8 TC_NL8 TC_NL8 TC_NL8 TC_NL8 TC_NL8 TC_NL8
#define TC_ASM_PAD_512 TC_NL64 TC_NL64 TC_NL64 TC_NL64 TC_NL64 TC_NL64 TC_NL64 TC_NL64
#define TC_ASM_PAD_1024 TC_ASM_PAD_512 TC_ASM_PAD_512
#define TC_ASM_PAD_2048 TC_ASM_PAD_1024 TC_ASM_PAD_1024
/* upper bounds of the instructions of one block of up to 8 rows: per source of k columns, and in all */
#define TC_ASM_SRC_LINES(k) ((k) == 0 ? 0 : (k) <= 16 ? 1 + 8 * (2 + (k)) : 20 + 2 * (8 * 19 + 4))
#define TC_ASM_BLOCK_LINES(k, k2) (12 + TC_ASM_SRC_LINES(k) + TC_ASM_SRC_LINES(k2) + 3 + 8 * 19 + 1)

/* Activations the blocks fuse: TC_ACT_NONE, _RELU, _TANH, _SIGMOID (the others run in C after the block). */
#define TC_ASM_FUSES(act) ((act) == 0 || (act) == 1 || (act) == 4 || (act) == 5)

#endif
