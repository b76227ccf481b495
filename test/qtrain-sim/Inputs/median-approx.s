# The approximate median of median.test: three passes of 20 bins.
cfg.rounding entry=0
cfg.element entry=0 mf_exponent_bits=8 mf_mantissa_bits=23 mf_bias=127 mf_specials=ieee mf_subnormals mf_overflow=inf
cfg.tensor_level entry=0
cfg.block_level entry=0
cfg.td_dram td=0 dram_stride_x=1
cfg.td_chip td=0 chip_stride_x=1
cfg.view view=0 size_z=1 size_y=1 size_x=1
load push_next dst=none format=0 td=0 layout=f32 stats_reg=1 stats_reset median_pass=approx dram_addr=0x40 size_z=1 size_y=1 size_x=8
vector pop_prev push_prev op=stats_value stats_reg=1 aux=5 imm=20 dst_view=0 dst_entry=0
load pop_next push_next dst=none format=0 td=0 layout=f32 stats_reg=1 median_pass=approx dram_addr=0x40 size_z=1 size_y=1 size_x=8
vector pop_prev push_prev op=stats_value stats_reg=1 aux=5 imm=20 dst_view=0 dst_entry=0
load pop_next push_next dst=none format=0 td=0 layout=f32 stats_reg=1 median_pass=approx dram_addr=0x40 size_z=1 size_y=1 size_x=8
vector pop_prev push_next op=stats_value stats_reg=1 aux=5 imm=20 dst_view=0 dst_entry=0
store pop_prev td=0 layout=raw32 dram_addr=0x80 acc_entry=0 size_z=1 size_y=1 size_x=1
finish
