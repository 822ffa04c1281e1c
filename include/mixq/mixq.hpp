#pragma once
// The whole of mixq in one include.

#include <mixq/config.hpp>
#include <mixq/platform.hpp>

#include <mixq/core/bit_width.hpp>
#include <mixq/core/finite.hpp>
#include <mixq/core/fixed_point.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/quantize_rule.hpp>
#include <mixq/core/rounding.hpp>
#include <mixq/core/scheme.hpp>

#include <mixq/storage/packed.hpp>

#include <mixq/tensor/concatenate.hpp>
#include <mixq/tensor/convert.hpp>
#include <mixq/tensor/qtensor.hpp>
#include <mixq/tensor/qtensor_concepts.hpp>
#include <mixq/tensor/quantize.hpp>

#include <mixq/kernels/add.hpp>
#include <mixq/kernels/arch.hpp>
#include <mixq/kernels/args.hpp>
#include <mixq/kernels/conv.hpp>
#include <mixq/kernels/gemm.hpp>
#include <mixq/kernels/pack.hpp>
#include <mixq/kernels/quantize.hpp>
#include <mixq/kernels/requantize.hpp>
#include <mixq/kernels/weights.hpp>

#include <mixq/ops/conv.hpp>
#include <mixq/ops/gemm.hpp>
#include <mixq/ops/quantize.hpp>

#include <mixq/calibration/entropy.hpp>
#include <mixq/calibration/histogram.hpp>
#include <mixq/calibration/minmax.hpp>
#include <mixq/calibration/mse.hpp>
#include <mixq/calibration/observer_concepts.hpp>
#include <mixq/calibration/observer_options.hpp>
#include <mixq/calibration/percentile.hpp>
#include <mixq/calibration/report.hpp>

#include <mixq/model/builder.hpp>
#include <mixq/model/calibrate.hpp>
#include <mixq/model/graph.hpp>
#include <mixq/model/model.hpp>
#include <mixq/model/network_interface.hpp>
#include <mixq/model/precision.hpp>
#include <mixq/model/zoo.hpp>

#include <mixq/profile/latency.hpp>
#include <mixq/profile/problem.hpp>
#include <mixq/sensitivity/mqe.hpp>

#include <mixq/requant/network.hpp>
#include <mixq/requant/tensor.hpp>
#include <mixq/requant/weights.hpp>

#include <mixq/io/format.hpp>

#include <mixq/alloc/alloc.hpp>
