"""Optional extras: import them with a message that names the extra to install."""
import importlib

_EXTRAS = {"matplotlib": "plot", "tqdm": "progress", "sklearn": "digits", "safetensors": "interop"}


def require(module, purpose=""):
    """Import ``module`` or raise ImportError saying which extra installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        top = module.split(".")[0]
        extra = _EXTRAS.get(top, top)
        why = f" for {purpose}" if purpose else ""
        raise ImportError(f"{top} is needed{why}: pip install 'rosenblatt[{extra}]' "
                          f"(or pip install {top if top != 'sklearn' else 'scikit-learn'})") from err
