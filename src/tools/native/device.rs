//! Where native models run and at what precision.

use crate::diag::{Code, Diagnostic};
use candle_core::{DType, Device};
use serde::{Deserialize, Serialize};

/// The device a model runs on. `Cuda` needs the `cuda` feature; without it, choosing it is an
/// error at load time (E401), never a panic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum DeviceChoice {
    #[default]
    Cpu,
    Cuda(usize),
}

/// Weight and activation precision. F16/BF16 halve memory; on CPU they are usually slower than F32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    #[default]
    F32,
    F16,
    Bf16,
}

impl DeviceChoice {
    /// `cpu`, `cuda` or `cuda:N`.
    pub fn parse(s: &str) -> Option<DeviceChoice> {
        match s {
            "cpu" => Some(DeviceChoice::Cpu),
            "cuda" | "gpu" => Some(DeviceChoice::Cuda(0)),
            _ => s.strip_prefix("cuda:").and_then(|n| n.parse().ok()).map(DeviceChoice::Cuda),
        }
    }

    pub fn device(self) -> Result<Device, Diagnostic> {
        match self {
            DeviceChoice::Cpu => Ok(Device::Cpu),
            DeviceChoice::Cuda(i) => Device::new_cuda(i).map_err(|e| {
                Diagnostic::new(Code::E401, format!("cannot open CUDA device {i}: {e}"))
                    .help("build dwim with `--features cuda`, or use `--device cpu`")
            }),
        }
    }
}

impl Precision {
    pub fn parse(s: &str) -> Option<Precision> {
        match s {
            "f32" => Some(Precision::F32),
            "f16" => Some(Precision::F16),
            "bf16" => Some(Precision::Bf16),
            _ => None,
        }
    }
    pub fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::F16 => DType::F16,
            Precision::Bf16 => DType::BF16,
        }
    }
}
