"""``rosenblatt.onnx``: export a model to ONNX, to run it in ONNX Runtime (or anywhere ONNX runs).

::

    import rosenblatt.onnx
    model.eval()
    rosenblatt.onnx.export(model, rb.randn(1, 1, 28, 28), "lenet.onnx",
                           input_names=["image"], output_names=["logits"],
                           dynamic_axes={"image": {0: "batch"}, "logits": {0: "batch"}})

The signature is ``torch.onnx.export``'s; the ``onnx`` package is needed (the optional
extra: ``pip install 'rosenblatt[interop]'``), and ``onnxruntime`` to run the file.

How it works (``export.py``): one forward runs on the example inputs, with every op
recorded in the autograd graph (``_trace.py``); the graph is walked from the outputs,
and each node's ``Function`` class is turned into ONNX nodes by its own small converter
(``converters.py``; recurrent layers in ``_recurrent.py``), looked up along the class's
bases (so the fast CPU kernels share their reference op's converter).  Parameters and
buffers become initializers named by their state_dict keys.  An op without a converter is
an :class:`ExportError` naming the op and the module it ran in; add one with
:func:`register_converter`.  With ``dynamic_axes`` the model is traced a second time with
those axes one longer: the sizes that change are the dynamic ones, so reshapes keep them
(``0``/``-1`` in the target shape) instead of freezing the traced batch size.
"""
from ._graph import Context, ExportError
from ._trace import register_trace_forward
from .converters import converter_for, register_converter
from .export import MAX_OPSET, MIN_OPSET, export

__all__ = ["export", "ExportError", "register_converter", "converter_for", "Context",
           "register_trace_forward", "MIN_OPSET", "MAX_OPSET"]
