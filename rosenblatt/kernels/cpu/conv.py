"""CPU kernels: conv (being moved here from functional/)."""
