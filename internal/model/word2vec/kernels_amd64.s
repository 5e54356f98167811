//go:build !purego

#include "textflag.h"

// AVX2+FMA float32 kernels; see kernels.go for the semantics. The caller
// guarantees the lengths (kernels_amd64.go checks them).

// func dotAVX2(a, b []float32) float32
TEXT ·dotAVX2(SB), NOSPLIT, $0-52
	MOVQ   a_base+0(FP), SI
	MOVQ   b_base+24(FP), DI
	MOVQ   a_len+8(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

dot32:
	CMPQ        CX, $32
	JL          dot8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         dot32

dot8:
	CMPQ        CX, $8
	JL          dotsum
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         dot8

dotsum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	CMPQ         CX, $4
	JL           dothsum
	VMOVUPS      (SI), X4
	VFMADD231PS  (DI), X4, X0
	ADDQ         $16, SI
	ADDQ         $16, DI
	SUBQ         $4, CX

dothsum:
	VPSHUFD      $0x4e, X0, X1
	VADDPS       X1, X0, X0
	VPSHUFD      $0xb1, X0, X1
	VADDSS       X1, X0, X0

dottail:
	CMPQ        CX, $0
	JE          dotdone
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         dottail

dotdone:
	VZEROUPPER
	MOVSS X0, ret+48(FP)
	RET

// func axpyAVX2(a float32, x, y []float32)
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	VBROADCASTSS a+0(FP), Y0
	MOVQ         x_base+8(FP), SI
	MOVQ         y_base+32(FP), DI
	MOVQ         x_len+16(FP), CX

axpy16:
	CMPQ        CX, $16
	JL          axpy8
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y2
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y2
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y2, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JMP         axpy16

axpy8:
	CMPQ        CX, $8
	JL          axpytail
	VMOVUPS     (DI), Y1
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         axpy8

	CMPQ        CX, $4
	JL          axpytail
	VMOVUPS     (DI), X1
	VFMADD231PS (SI), X0, X1
	VMOVUPS     X1, (DI)
	ADDQ        $16, SI
	ADDQ        $16, DI
	SUBQ        $4, CX

axpytail:
	CMPQ        CX, $0
	JE          axpydone
	VMOVSS      (DI), X1
	VFMADD231SS (SI), X0, X1
	VMOVSS      X1, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         axpytail

axpydone:
	VZEROUPPER
	RET

// func sgdAVX2(grad float32, h, out, e []float32)
TEXT ·sgdAVX2(SB), NOSPLIT, $0-80
	VBROADCASTSS grad+0(FP), Y0
	MOVQ         h_base+8(FP), SI
	MOVQ         out_base+32(FP), DI
	MOVQ         e_base+56(FP), DX
	MOVQ         h_len+16(FP), CX

sgd16:
	CMPQ        CX, $16
	JL          sgd8
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y3
	VMOVUPS     (DX), Y2
	VMOVUPS     32(DX), Y4
	VFMADD231PS Y1, Y0, Y2
	VFMADD231PS Y3, Y0, Y4
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y3
	VMOVUPS     Y2, (DX)
	VMOVUPS     Y4, 32(DX)
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y3, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	ADDQ        $64, DX
	SUBQ        $16, CX
	JMP         sgd16

sgd8:
	CMPQ        CX, $8
	JL          sgdtail
	VMOVUPS     (DI), Y1
	VMOVUPS     (DX), Y2
	VFMADD231PS Y1, Y0, Y2
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y2, (DX)
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JMP         sgd8

	CMPQ        CX, $4
	JL          sgdtail
	VMOVUPS     (DI), X1
	VMOVUPS     (DX), X2
	VFMADD231PS X1, X0, X2
	VFMADD231PS (SI), X0, X1
	VMOVUPS     X2, (DX)
	VMOVUPS     X1, (DI)
	ADDQ        $16, SI
	ADDQ        $16, DI
	ADDQ        $16, DX
	SUBQ        $4, CX

sgdtail:
	CMPQ        CX, $0
	JE          sgddone
	VMOVSS      (DI), X1
	VMOVSS      (DX), X2
	VFMADD231SS X1, X0, X2
	VFMADD231SS (SI), X0, X1
	VMOVSS      X2, (DX)
	VMOVSS      X1, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	ADDQ        $4, DX
	DECQ        CX
	JMP         sgdtail

sgddone:
	VZEROUPPER
	RET

// func prefetchRows(base *float32, rowBytes int, ids []int32)
// Prefetches the rows ids[i] of a row-major matrix into all cache levels;
// negative ids are skipped.
TEXT ·prefetchRows(SB), NOSPLIT, $0-40
	MOVQ base+0(FP), SI
	MOVQ rowBytes+8(FP), DX
	MOVQ ids_base+16(FP), R8
	MOVQ ids_len+24(FP), R9

prow:
	TESTQ    R9, R9
	JE       pdone
	MOVLQSX  (R8), AX
	TESTQ    AX, AX
	JS       pnext
	IMULQ    DX, AX
	ADDQ     SI, AX
	MOVQ     DX, CX

pline:
	PREFETCHT0 (AX)
	ADDQ       $64, AX
	SUBQ       $64, CX
	JG         pline

pnext:
	ADDQ       $4, R8
	DECQ       R9
	JMP        prow

pdone:
	RET

// Constants of stepAVX2 (float32 bit patterns): maxExp, -maxExp, expScale.
DATA w2vconst<>+0(SB)/4, $0x40c00000 // 6.0
DATA w2vconst<>+4(SB)/4, $0xc0c00000 // -6.0
DATA w2vconst<>+8(SB)/4, $0x42aaaaab // 1024/12
GLOBL w2vconst<>(SB), RODATA|NOPTR, $12

// func stepAVX2(h, out, e *float32, n int, label, alpha float32) float32
// One negative-sampling step, fused: f = h.out; sig, loss from the tables
// (exactly as negStepGo); g = (label-sig)*alpha; e += g*out; out += g*h.
// Returns the loss term. n >= 1.
TEXT ·stepAVX2(SB), NOSPLIT, $0-44
	MOVQ   h+0(FP), SI
	MOVQ   out+8(FP), DI
	MOVQ   n+24(FP), CX
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3

sdot32:
	CMPQ        CX, $32
	JL          sdot8
	VMOVUPS     (SI), Y4
	VMOVUPS     32(SI), Y5
	VMOVUPS     64(SI), Y6
	VMOVUPS     96(SI), Y7
	VFMADD231PS (DI), Y4, Y0
	VFMADD231PS 32(DI), Y5, Y1
	VFMADD231PS 64(DI), Y6, Y2
	VFMADD231PS 96(DI), Y7, Y3
	ADDQ        $128, SI
	ADDQ        $128, DI
	SUBQ        $32, CX
	JMP         sdot32

sdot8:
	CMPQ        CX, $8
	JL          sdotsum
	VMOVUPS     (SI), Y4
	VFMADD231PS (DI), Y4, Y0
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JMP         sdot8

sdotsum:
	VADDPS       Y1, Y0, Y0
	VADDPS       Y3, Y2, Y2
	VADDPS       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPS       X1, X0, X0
	CMPQ         CX, $4
	JL           sdothsum
	VMOVUPS      (SI), X4
	VFMADD231PS  (DI), X4, X0
	ADDQ         $16, SI
	ADDQ         $16, DI
	SUBQ         $4, CX

sdothsum:
	VPSHUFD $0x4e, X0, X1
	VADDPS  X1, X0, X0
	VPSHUFD $0xb1, X0, X1
	VADDSS  X1, X0, X0

sdottail:
	CMPQ        CX, $0
	JE          ssig
	VMOVSS      (SI), X1
	VFMADD231SS (DI), X1, X0
	ADDQ        $4, SI
	ADDQ        $4, DI
	DECQ        CX
	JMP         sdottail

	// X0 = f. Compute X2 = sig and X3 = loss.
ssig:
	MOVL     label+32(FP), BX // 0 for 0.0, non-zero for 1.0
	VXORPS   X3, X3, X3
	VMOVSS   w2vconst<>+0(SB), X5
	VUCOMISS X5, X0
	JCC      sbig              // f >= 6
	VMOVSS   w2vconst<>+4(SB), X6
	VUCOMISS X6, X0
	JLS      ssmall            // f <= -6
	VADDSS   X5, X0, X1        // f + 6
	VMULSS   w2vconst<>+8(SB), X1, X1
	VCVTTSS2SIQ X1, AX
	CMPQ     AX, $1023
	JLE      sidx
	MOVQ     $1023, AX

sidx:
	LEAQ   ·sigmoidTable(SB), R8
	VMOVSS (R8)(AX*4), X2
	LEAQ   ·logSigTable(SB), R9
	TESTL  BX, BX
	JNE    sposloss
	MOVQ   $1023, R10
	SUBQ   AX, R10
	VMOVSS (R9)(R10*4), X3
	JMP    supdate

sposloss:
	VMOVSS (R9)(AX*4), X3
	JMP    supdate

sbig: // sig = 1; loss = f for a noise word, 0 for the true word
	MOVL   $0x3f800000, R10
	VMOVD  R10, X2
	TESTL  BX, BX
	JNE    supdate
	VMOVAPS X0, X3
	JMP    supdate

ssmall: // sig = 0; loss = -f for the true word, 0 for a noise word
	VXORPS X2, X2, X2
	TESTL  BX, BX
	JE     supdate
	VSUBSS X0, X3, X3          // 0 - f

supdate:
	VMOVSS       label+32(FP), X1
	VSUBSS       X2, X1, X1     // label - sig
	VMULSS       alpha+36(FP), X1, X1
	VBROADCASTSS X1, Y0         // g
	MOVQ         h+0(FP), SI
	MOVQ         out+8(FP), DI
	MOVQ         e+16(FP), DX
	MOVQ         n+24(FP), CX

supd16:
	CMPQ        CX, $16
	JL          supd8
	VMOVUPS     (DI), Y1
	VMOVUPS     32(DI), Y4
	VMOVUPS     (DX), Y2
	VMOVUPS     32(DX), Y5
	VFMADD231PS Y1, Y0, Y2
	VFMADD231PS Y4, Y0, Y5
	VFMADD231PS (SI), Y0, Y1
	VFMADD231PS 32(SI), Y0, Y4
	VMOVUPS     Y2, (DX)
	VMOVUPS     Y5, 32(DX)
	VMOVUPS     Y1, (DI)
	VMOVUPS     Y4, 32(DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	ADDQ        $64, DX
	SUBQ        $16, CX
	JMP         supd16

supd8:
	CMPQ        CX, $8
	JL          supd4
	VMOVUPS     (DI), Y1
	VMOVUPS     (DX), Y2
	VFMADD231PS Y1, Y0, Y2
	VFMADD231PS (SI), Y0, Y1
	VMOVUPS     Y2, (DX)
	VMOVUPS     Y1, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	ADDQ        $32, DX
	SUBQ        $8, CX
	JMP         supd8

supd4:
	CMPQ        CX, $4
	JL          supdtail
	VMOVUPS     (DI), X1
	VMOVUPS     (DX), X2
	VFMADD231PS X1, X0, X2
	VFMADD231PS (SI), X0, X1
	VMOVUPS     X2, (DX)
	VMOVUPS     X1, (DI)
	ADDQ        $16, SI
	ADDQ        $16, DI
	ADDQ        $16, DX
	SUBQ        $4, CX

supdtail:
	CMPQ        CX, $0
	JE          sdone
	VMOVSS      (DI), X1
	VMOVSS      (DX), X2
	VFMADD231SS X1, X0, X2
	VFMADD231SS (SI), X0, X1
	VMOVSS      X2, (DX)
	VMOVSS      X1, (DI)
	ADDQ        $4, SI
	ADDQ        $4, DI
	ADDQ        $4, DX
	DECQ        CX
	JMP         supdtail

sdone:
	VZEROUPPER
	MOVSS X3, ret+40(FP)
	RET
