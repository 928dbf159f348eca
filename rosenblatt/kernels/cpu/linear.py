"""CPU kernels: linear (being moved here from functional/)."""
