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
// Prefetches the rows ids[i] of a row-major matrix into all cache levels.
TEXT ·prefetchRows(SB), NOSPLIT, $0-40
	MOVQ base+0(FP), SI
	MOVQ rowBytes+8(FP), DX
	MOVQ ids_base+16(FP), R8
	MOVQ ids_len+24(FP), R9

prow:
	TESTQ    R9, R9
	JE       pdone
	MOVLQSX  (R8), AX
	IMULQ    DX, AX
	ADDQ     SI, AX
	MOVQ     DX, CX

pline:
	PREFETCHT0 (AX)
	ADDQ       $64, AX
	SUBQ       $64, CX
	JG         pline
	ADDQ       $4, R8
	DECQ       R9
	JMP        prow

pdone:
	RET
