#pragma once
// The whole of mixq in one include.

#include <mixq/config.hpp>

#include <mixq/core/bit_width.hpp>
#include <mixq/core/fixed_point.hpp>
#include <mixq/core/qparams.hpp>
#include <mixq/core/rounding.hpp>
#include <mixq/core/scheme.hpp>

#include <mixq/storage/packed.hpp>

#include <mixq/tensor/concatenate.hpp>
#include <mixq/tensor/convert.hpp>
#include <mixq/tensor/qtensor.hpp>
#include <mixq/tensor/qtensor_concepts.hpp>
#include <mixq/tensor/quantize.hpp>

#include <mixq/io/format.hpp>

#include <mixq/alloc/alloc.hpp>
