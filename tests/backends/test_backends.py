"""``rb.backends``: the switches PyTorch programs set exist and say 'no GPU'."""
import rosenblatt as rb
import rosenblatt.backends.cudnn as cudnn


def test_cudnn_flags_are_settable_and_gpu_backends_absent():
    cudnn.deterministic = True
    rb.backends.cudnn.benchmark = False
    assert rb.backends.cudnn.deterministic is True
    assert rb.backends.cudnn.is_available() is False
    assert rb.backends.mps.is_available() is False and rb.backends.mps.is_built() is False
    device = rb.device("cuda" if rb.cuda.is_available() else
                       "mps" if rb.backends.mps.is_available() else "cpu")
    assert device.type == "cpu"
    cudnn.deterministic = False
