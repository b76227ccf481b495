# Seed of the fuzzers (fuzz/seeds, assembled by scripts/fuzz.sh): statistics
# gathered by LOADs, scales chosen from them (select_scale) and used by a
# quantizing LOAD with a tensor level, histograms stored and loaded back with
# REG_STORE / REG_LOAD, a seed register, and the values of statistics
# registers (stats_value).
cfg.rounding entry=0
# format 0: E4M3 with an amax_to_max tensor scale held in ACC entry 30
cfg.element entry=0 mf_exponent_bits=4 mf_mantissa_bits=3 mf_bias=7 mf_specials=fn mf_subnormals mf_overflow=saturate
cfg.tensor_level entry=0 present scale_kind=f32 rule=amax_to_max scale_entry=30
cfg.block_level entry=0
# format 1: MXFP8 E4M3, blocks of 8 along x
cfg.element entry=1 mf_exponent_bits=4 mf_mantissa_bits=3 mf_bias=7 mf_specials=fn mf_subnormals mf_overflow=saturate
cfg.tensor_level entry=1
cfg.block_level entry=1 present scale_kind=pow2 scale_bits=8 scale_bias=127 scale_nan block_z=1 block_y=1 block_x=8
# format 2: E4M3 with a median_lookup tensor level (select_scale only)
cfg.element entry=2 mf_exponent_bits=4 mf_mantissa_bits=3 mf_bias=7 mf_specials=fn mf_subnormals mf_overflow=saturate
cfg.tensor_level entry=2 present scale_kind=f32 rule=median_lookup median_exponent=-2 exclude_zeros scale_entry=31
cfg.block_level entry=2
cfg.td_dram td=0 dram_stride_y=8 dram_stride_x=1
cfg.td_chip td=0 chip_stride_y=8 chip_stride_x=1
cfg.view view=0 size_z=1 size_y=1 size_x=1
load dst=none format=1 td=0 layout=f32 stats_reg=1 stats_mask=15 stats_reset dram_addr=0x0 size_z=1 size_y=2 size_x=8
load push_next dst=acc format=1 td=0 layout=f32 stats_reg=2 stats_mask=7 stats_reset dram_addr=0x0 chip_row=0 size_z=1 size_y=2 size_x=8
vector pop_prev op=select_scale format=0 aux=2 stats_reg=1 dst_view=0 dst_entry=30
vector op=select_scale format=2 aux=2 stats_reg=2 dst_view=0 dst_entry=31
vector op=stats_value aux=0 stats_reg=1 dst_view=0 dst_entry=16
vector op=stats_value aux=1 stats_reg=1 dst_view=0 dst_entry=17
vector op=stats_value aux=2 stats_reg=1 dst_view=0 dst_entry=18
vector op=stats_value aux=3 stats_reg=2 dst_view=0 dst_entry=19
vector op=stats_value aux=4 stats_reg=2 dst_view=0 dst_entry=20
vector op=select_scale format=0 dst_view=0 dst_entry=21 src1_view=0 src1_entry=16
vector op=select_scale format=2 dst_view=0 dst_entry=22 src1_view=0 src1_entry=19
vector push_prev push_next op=select_scale format=1 aux=1 dst_view=0 dst_entry=23 src1_view=0 src1_entry=17
load pop_next push_next dst=acc format=0 td=0 layout=f32 stats_reg=0 stats_mask=1 dram_addr=0x0 chip_row=32 size_z=1 size_y=2 size_x=8
reg.store pop_prev regfile=stats reg=1 part=exponent_histogram dram_addr=0x2000
reg.store push_prev regfile=stats reg=2 part=median_histogram dram_addr=0x4000
vector pop_prev pop_next push_prev op=nop
reg.load pop_next regfile=stats reg=3 part=median_histogram from_dram dram_addr=0x4000
reg.load push_next regfile=seed reg=1 from_dram dram_addr=0x0 imm=0x0000010000000000
vector pop_prev push_next op=stats_value aux=3 stats_reg=3 dst_view=0 dst_entry=24
store pop_prev td=0 layout=raw32 dram_addr=0x6000 acc_entry=16 size_z=1 size_y=1 size_x=9
finish
