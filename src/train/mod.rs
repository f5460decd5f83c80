//! Training and decoding with candle (feature `train`): a llama-style decoder trained with masked
//! cross-entropy (instruct-masking), AdamW, warm-up + cosine schedule, clipping, accumulation,
//! atomic checkpoints, LoRA adapters, loss curves, and a BPE tokenizer trainer.
//!
//! | file | what it holds |
//! |---|---|
//! | `config.rs` | model [`Config`] and presets (`tiny`, `micro`, SmolLM2-135M) |
//! | `model.rs` | the forward pass (all positions, differentiable ops only), KV cache |
//! | `lora.rs` | bias-free linear layer with optional LoRA adapter |
//! | `loss.rs` | masked cross-entropy |
//! | `fused/` | CPU kernels with hand-written backward passes for candle's autograd (RMSNorm, RoPE, SiLU, causal softmax, attention products) |
//! | `cpu_grad/` | the whole training pass (forward, loss, backward) written out for the CPU: what the trainer runs there without LoRA |
//! | `optim.rs` | AdamW, schedule, clipping, accumulation |
//! | `data.rs` | JSONL samples, validation split, seeded order, padded batches |
//! | `trainer.rs` | the update loop, validation, save/resume |
//! | `checkpoint.rs` | atomic safetensors checkpoints |
//! | `generate.rs` | greedy / temperature decoding |
//! | `plot.rs` | loss-curve PNG |
//! | `crate::tokenizer` | byte-level BPE training (shared with `dwim mask`) |
//! | `load.rs` | models from presets, directories and checkpoints |
//! | `gguf.rs` | llama GGUF (SmolLM2) → F32 weights + rebuilt BPE tokenizer |
//! | `quantized.rs` | inference-only decoding of a GGUF with candle's quantized kernels (needs `native`) |

pub mod checkpoint;
pub mod config;
pub mod cpu_grad;
pub mod data;
pub mod fused;
pub mod generate;
pub mod gguf;
pub mod load;
pub mod lora;
pub mod loss;
pub mod model;
pub mod optim;
pub mod plot;
#[cfg(feature = "native")]
pub mod quantized;
pub mod rng;
pub use crate::tokenizer;
pub mod trainer;

pub use checkpoint::{Hyper, TrainState};
pub use config::{Config, LayerNames, Mlp};
pub use data::{Batch, Sample, IGNORE};
pub use generate::{generate, GenOptions};
pub use lora::LoraConfig;
pub use model::Model;
pub use trainer::{StepStats, Trainer};

/// Keep freed tensor buffers in the process instead of returning them to the OS after every op: candle
/// allocates a fresh buffer per op, and refaulting them cost a third of a training step's time on this
/// machine (two parallel ablation runs: 46 s → 32 s). The `dwim` binary and the benches use mimalloc as
/// the global allocator; this turns its purging off, and tells glibc's malloc (used by anything linked
/// without mimalloc) to keep freed memory too. Call once, early.
pub fn tune_allocator() {
    crate::alloc::keep_freed_pages();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator thresholds; it is called before training allocates.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 30);
        libc::mallopt(libc::M_TRIM_THRESHOLD, i32::MAX);
        libc::mallopt(libc::M_TOP_PAD, 256 << 20);
    }
}
