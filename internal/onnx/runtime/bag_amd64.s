//go:build !purego

#include "go_asm.h"
#include "textflag.h"

// Lanes 0..7 all set, lanes 8..15 clear: the mask of a tail of t < 8
// floats is the 8 int32 starting at index 8-t.
DATA tailMasks<>+0(SB)/8, $0xffffffffffffffff
DATA tailMasks<>+8(SB)/8, $0xffffffffffffffff
DATA tailMasks<>+16(SB)/8, $0xffffffffffffffff
DATA tailMasks<>+24(SB)/8, $0xffffffffffffffff
DATA tailMasks<>+32(SB)/8, $0
DATA tailMasks<>+40(SB)/8, $0
DATA tailMasks<>+48(SB)/8, $0
DATA tailMasks<>+56(SB)/8, $0
GLOBL tailMasks<>(SB), RODATA|NOPTR, $64

// func bagBlockAVX2(acc, base *float32, offs *int, n, avail, nfull, tail int)
//
// Sets acc[0 : 8*nfull+tail] to the sum of the rows base[offs[i]:] for
// i < n, adding the rows one after the other (bit-identical to sumRows; the
// 8 lanes of a register are independent columns). nfull <= 8 registers of
// 8 columns plus a masked tail of tail < 8 columns stay in Y0..Y8 for the
// whole loop. Row offs[i+bagPrefetch] (if i+bagPrefetch < avail) is
// prefetched while row i is added, so the cache misses of the random rows
// overlap. The caller checks every offset.
TEXT ·bagBlockAVX2(SB), NOSPLIT, $0-56
	MOVQ acc+0(FP), DI
	MOVQ base+8(FP), SI
	MOVQ offs+16(FP), BX
	MOVQ n+24(FP), CX
	MOVQ avail+32(FP), R8
	MOVQ nfull+40(FP), R9
	MOVQ tail+48(FP), R10

	// R12: byte offset of the tail = 32*nfull; R13: last byte of the block.
	MOVQ R9, R12
	SHLQ $5, R12
	LEAQ (R12)(R10*4), R13
	SUBQ $4, R13
	JGE  maskok
	XORQ R13, R13

maskok:
	// Y10: the tail mask.
	LEAQ    tailMasks<>+32(SB), AX
	MOVQ    R10, DX
	SHLQ    $2, DX
	SUBQ    DX, AX
	VMOVDQU (AX), Y10

	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8

	// Prefetch the first rows.
	XORQ DX, DX
	MOVQ $const_bagPrefetch, R11
	CMPQ R11, R8
	JLE  warm
	MOVQ R8, R11

warm:
	CMPQ       DX, R11
	JGE        rows
	MOVQ       (BX)(DX*8), AX
	LEAQ       (SI)(AX*4), AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	PREFETCHT0 192(AX)
	PREFETCHT0 (AX)(R13*1)
	INCQ       DX
	JMP        warm

rows:
	XORQ DX, DX

row:
	CMPQ DX, CX
	JGE  store
	LEAQ const_bagPrefetch(DX), AX
	CMPQ AX, R8
	JGE  add
	MOVQ       (BX)(AX*8), AX
	LEAQ       (SI)(AX*4), AX
	PREFETCHT0 (AX)
	PREFETCHT0 64(AX)
	PREFETCHT0 128(AX)
	PREFETCHT0 192(AX)
	PREFETCHT0 (AX)(R13*1)

add:
	MOVQ   (BX)(DX*8), AX
	LEAQ   (SI)(AX*4), AX
	CMPQ   R9, $1
	JL     addtail
	VADDPS (AX), Y0, Y0
	CMPQ   R9, $2
	JL     addtail
	VADDPS 32(AX), Y1, Y1
	CMPQ   R9, $3
	JL     addtail
	VADDPS 64(AX), Y2, Y2
	CMPQ   R9, $4
	JL     addtail
	VADDPS 96(AX), Y3, Y3
	CMPQ   R9, $5
	JL     addtail
	VADDPS 128(AX), Y4, Y4
	CMPQ   R9, $6
	JL     addtail
	VADDPS 160(AX), Y5, Y5
	CMPQ   R9, $7
	JL     addtail
	VADDPS 192(AX), Y6, Y6
	CMPQ   R9, $8
	JL     addtail
	VADDPS 224(AX), Y7, Y7

addtail:
	TESTQ      R10, R10
	JZ         next
	VMASKMOVPS (AX)(R12*1), Y10, Y9
	VADDPS     Y9, Y8, Y8

next:
	INCQ DX
	JMP  row

store:
	CMPQ    R9, $1
	JL      storetail
	VMOVUPS Y0, (DI)
	CMPQ    R9, $2
	JL      storetail
	VMOVUPS Y1, 32(DI)
	CMPQ    R9, $3
	JL      storetail
	VMOVUPS Y2, 64(DI)
	CMPQ    R9, $4
	JL      storetail
	VMOVUPS Y3, 96(DI)
	CMPQ    R9, $5
	JL      storetail
	VMOVUPS Y4, 128(DI)
	CMPQ    R9, $6
	JL      storetail
	VMOVUPS Y5, 160(DI)
	CMPQ    R9, $7
	JL      storetail
	VMOVUPS Y6, 192(DI)
	CMPQ    R9, $8
	JL      storetail
	VMOVUPS Y7, 224(DI)

storetail:
	TESTQ      R10, R10
	JZ         done
	VMASKMOVPS Y8, Y10, (DI)(R12*1)

done:
	VZEROUPPER
	RET
