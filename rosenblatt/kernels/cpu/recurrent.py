"""CPU kernels: recurrent (being moved here from functional/)."""
