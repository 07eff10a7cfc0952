"""Where does the model look? Class activation maps, gradient saliency and attention rollout.

The CAM classes follow pytorch-grad-cam's design: :class:`BaseCAM` owns the hooks and does the
forward and backward pass; a variant overrides one method, :meth:`BaseCAM.cam_weights`, which
turns the target layer's activations ``A`` and gradients ``dy_c/dA`` into one weight per channel.
Hooks are released by :meth:`BaseCAM.release` (or by leaving a ``with`` block). Everything here
returns tensors; drawing is separate: the pure function :func:`overlay` and the grid
:func:`clskit.interpret.camgrid.show_cam_grid` (an image row plus an overlay row per method).

| module        | holds                                                                   |
|---------------|-------------------------------------------------------------------------|
| ``cam``       | :class:`BaseCAM`, :class:`GradCAM`, :class:`GradCAMPlusPlus`, ``CAMS``, ``last_conv_layer`` |
| ``gradients`` | ``saliency``, ``smoothgrad``                                            |
| ``attention`` | ``attention_rollout``, ``rollout_map``                                  |
| ``drawing``   | ``overlay``, ``explain``                                       |

Example:
    >>> import torch
    >>> from clskit.models import create_model
    >>> model = create_model("small_cnn", num_classes=3, in_chans=1).eval()
    >>> with GradCAM(model) as cam:
    ...     maps = cam(torch.rand(2, 1, 16, 16))
    >>> maps.shape
    torch.Size([2, 16, 16])
"""
from clskit import _lazy_submodules
from clskit.interpret.attention import attention_rollout, rollout_map
from clskit.interpret.cam import CAMS, BaseCAM, GradCAM, GradCAMPlusPlus, last_conv_layer
from clskit.interpret.drawing import METHOD_TITLES, explain, overlay
from clskit.interpret.gradients import saliency, smoothgrad

__all__ = ["BaseCAM", "CAMS", "GradCAM", "GradCAMPlusPlus", "METHOD_TITLES", "attention_rollout", "explain",
           "last_conv_layer", "overlay", "rollout_map", "saliency", "smoothgrad"]

__getattr__, __dir__ = _lazy_submodules(__name__, __path__)  # every other module, on first use
