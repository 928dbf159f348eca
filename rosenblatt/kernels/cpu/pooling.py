"""CPU kernels: pooling (being moved here from functional/)."""
