# Seed of the fuzzers (fuzz/seeds, assembled by scripts/fuzz.sh): eight f32
# from DRAM into the ACC, then most VECTOR operations over 1x2x4 views, the
# results stored back.
cfg.rounding entry=0
cfg.element entry=0 mf_exponent_bits=8 mf_mantissa_bits=23 mf_bias=127 mf_subnormals mf_overflow=inf
cfg.tensor_level entry=0
cfg.block_level entry=0
cfg.td_dram td=0 dram_stride_y=4 dram_stride_x=1
cfg.td_chip td=0 chip_stride_y=4 chip_stride_x=1
cfg.view view=0 size_z=1 size_y=2 size_x=4 stride_y=4 stride_x=1
cfg.view view=1 size_z=1 size_y=2 size_x=4 stride_y=0 stride_x=0
load push_next dst=acc format=0 td=0 layout=f32 dram_addr=0x0 chip_row=0 size_z=1 size_y=2 size_x=4
vector pop_prev op=copy dst_view=0 dst_entry=8 src1_view=0 src1_entry=0
vector op=addf dst_view=0 dst_entry=16 src1_view=0 src1_entry=0 src2_view=0 src2_entry=8
vector op=subf swap dst_view=0 dst_entry=24 src1_view=0 src1_entry=0 src2_imm imm=0x3f800000
vector op=mulf dst_view=0 dst_entry=32 src1_view=0 src1_entry=16 src2_view=0 src2_entry=24
vector op=divf dst_view=0 dst_entry=40 src1_view=0 src1_entry=32 src2_view=0 src2_entry=0
vector op=maximumf dst_view=0 dst_entry=48 src1_view=0 src1_entry=40 src2_imm imm=0x80000000
vector op=minimumf dst_view=0 dst_entry=56 src1_view=0 src1_entry=40 src2_view=0 src2_entry=0
vector op=negf dst_view=0 dst_entry=64 src1_view=0 src1_entry=56
vector op=absf dst_view=0 dst_entry=72 src1_view=0 src1_entry=64
vector op=sqrt dst_view=0 dst_entry=80 src1_view=0 src1_entry=72
vector op=exp dst_view=0 dst_entry=88 src1_view=0 src1_entry=0
vector op=log dst_view=0 dst_entry=96 src1_view=0 src1_entry=88
vector op=cmpf aux=12 dst_view=0 dst_entry=104 src1_view=0 src1_entry=0 src2_view=0 src2_entry=96
vector op=cmpi aux=2 dst_view=0 dst_entry=112 src1_view=0 src1_entry=104 src2_imm imm=0x00000000
vector op=copy dst_view=0 dst_entry=120 src1_view=0 src1_entry=8
vector op=select dst_view=0 dst_entry=120 src1_view=0 src1_entry=104 src2_view=0 src2_entry=0
vector op=index aux=2 dst_view=0 dst_entry=128 imm=0x00000003
vector op=addi dst_view=0 dst_entry=136 src1_view=0 src1_entry=128 src2_view=0 src2_entry=112
vector op=subi dst_view=0 dst_entry=144 src1_view=0 src1_entry=136 src2_imm imm=0xffffffff
vector op=muli dst_view=0 dst_entry=152 src1_view=0 src1_entry=144 src2_view=0 src2_entry=136
vector op=remui dst_view=0 dst_entry=160 src1_view=0 src1_entry=152 src2_imm imm=0x00000007
vector op=andi dst_view=0 dst_entry=168 src1_view=0 src1_entry=160 src2_view=0 src2_entry=0
vector op=ori dst_view=0 dst_entry=176 src1_view=0 src1_entry=168 src2_view=0 src2_entry=8
vector op=xori dst_view=0 dst_entry=184 src1_view=0 src1_entry=176 src2_view=0 src2_entry=16
vector op=sitofp dst_view=0 dst_entry=192 src1_view=0 src1_entry=184
vector op=fill dst_view=0 dst_entry=200 imm=0x7fc00000
vector op=fill dst_view=0 dst_entry=208 imm=0x00000000
vector op=maximumf accumulate dst_view=1 dst_entry=208 src1_view=0 src1_entry=192
vector push_next op=addf accumulate dst_view=1 dst_entry=209 src1_view=0 src1_entry=0
store pop_prev td=0 layout=raw32 dram_addr=0x1000 acc_entry=192 size_z=1 size_y=2 size_x=4
finish
