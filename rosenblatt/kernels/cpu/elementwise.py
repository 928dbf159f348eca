"""CPU kernels: elementwise (being moved here from functional/)."""
