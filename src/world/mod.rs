//! Synthetic visual worlds: colours, shapes and the rasteriser used to draw scenes.

pub mod demo;
pub mod draw;
pub mod palette;
