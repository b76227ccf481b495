cfg.rounding entry=0
cfg.accum entry=0 acc_exponent_bits=8 acc_mantissa_bits=23 acc_bias=127 acc_subnormals acc_overflow=inf
cfg.accum_grouping entry=0
cfg.element entry=0 layout=plain mf_exponent_bits=4 mf_mantissa_bits=3 mf_bias=7 mf_specials=fn mf_subnormals mf_overflow=saturate
cfg.tensor_level entry=0
cfg.block_level entry=0 present scale_kind=pow2 scale_bits=8 scale_bias=127 scale_nan block_z=1 block_y=1 block_x=32
cfg.element entry=1 layout=paired mf_exponent_bits=4 mf_mantissa_bits=3 mf_bias=7 mf_specials=fn mf_subnormals mf_overflow=saturate
cfg.tensor_level entry=1
cfg.block_level entry=1 present scale_kind=pow2 scale_bits=8 scale_bias=127 scale_nan block_z=1 block_y=32 block_x=1
cfg.td_dram td=0 dram_stride_y=512 dram_stride_x=1
cfg.td_chip td=0 chip_stride_y=256 chip_stride_x=1
cfg.td_dram td=1 dram_stride_y=1 dram_stride_x=32
cfg.td_chip td=1 chip_stride_y=256 chip_stride_x=1
cfg.td_dram td=2 dram_stride_y=32 dram_stride_x=1
cfg.td_chip td=2 chip_stride_y=32 chip_stride_x=1
load dst=sp_input format=0 td=0 layout=f32 dram_addr=0x0 chip_row=0 size_z=1 size_y=32 size_x=256
load push_next dst=sp_weight format=1 td=1 layout=f32 dram_addr=0x10000 chip_row=0 size_z=1 size_y=32 size_x=256
load dst=sp_input format=0 td=0 layout=f32 dram_addr=0x400 chip_row=128 size_z=1 size_y=32 size_x=256
load push_next dst=sp_weight format=1 td=1 layout=f32 dram_addr=0x18000 chip_row=256 size_z=1 size_y=32 size_x=256
gemm pop_prev format_a=0 format_b=1 accum=0 mode=m4 init a_row=0 a_rows_per_vector=4 b_row=0 b_rows_per_vector=8 acc_entry=0 m=32 n=32 k=256
gemm pop_prev push_next format_a=0 format_b=1 accum=0 mode=m4 finish a_row=128 a_rows_per_vector=4 b_row=256 b_rows_per_vector=8 acc_entry=0 m=32 n=32 k=256
store pop_prev format=0 td=2 layout=raw32 dram_addr=0x20000 acc_entry=0 size_z=1 size_y=32 size_x=32
finish
