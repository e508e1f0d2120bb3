"""Distill's presets (Sources/Core/Models/ModelPresets.swift) rebuilt layer for layer in PyTorch and Keras.

CNN pair (32x32x3): vgg8-teacher -> seed-student. MLP pair (28x28x1): hinton-teacher -> hinton-student.
BatchNorm as Keras' (momentum 0.99, epsilon 1e-3; PyTorch's momentum is 1 - 0.99 = 0.01), 3x3
convolutions with 'same' padding and a bias, 2x2 max pooling, LeakyReLU(0.1) in the student.
"""

PAIRS = {
    "cnn": {"teacher": "vgg8-teacher", "student": "seed-student", "shape": (32, 32, 3)},
    "mlp": {"teacher": "hinton-teacher", "student": "hinton-student", "shape": (28, 28, 1)},
}
CLASSES = 10
BN_MOMENTUM = 0.99  # Keras convention: weight of the old running statistics
BN_EPSILON = 1e-3

# Each preset as a list of (kind, argument): conv(filters), bn, relu, leaky, pool, dropout(rate),
# flatten, dense(units; None = classes).
SPECS = {
    "vgg8-teacher": [("conv", 64), ("bn",), ("relu",), ("conv", 64), ("bn",), ("relu",), ("pool",),
                     ("conv", 128), ("bn",), ("relu",), ("conv", 128), ("bn",), ("relu",), ("pool",),
                     ("conv", 256), ("bn",), ("relu",), ("conv", 256), ("bn",), ("relu",), ("pool",),
                     ("flatten",), ("dense", 512), ("bn",), ("relu",), ("dense", None)],
    "seed-student": [("conv", 32), ("bn",), ("leaky",), ("pool",), ("dropout", 0.3),
                     ("conv", 64), ("bn",), ("leaky",), ("pool",), ("dropout", 0.3),
                     ("conv", 128), ("bn",), ("leaky",), ("conv", 128), ("bn",), ("leaky",), ("pool",), ("dropout", 0.3),
                     ("flatten",), ("dense", 256), ("bn",), ("leaky",), ("dense", None)],
    "hinton-teacher": [("flatten",), ("dropout", 0.2), ("dense", 1200), ("relu",), ("dropout", 0.5),
                       ("dense", 1200), ("relu",), ("dropout", 0.5), ("dense", None)],
    "hinton-student": [("flatten",), ("dense", 800), ("relu",), ("dense", 800), ("relu",), ("dense", None)],
}


def torch_model(name, shape):
    """The preset as a torch.nn.Sequential taking NCHW input of `shape` = (H, W, C)."""
    import torch.nn as nn
    h, w, c = shape
    layers, features, last = [], c, None
    for layer in SPECS[name]:
        kind = layer[0]
        if kind == "conv":
            layers.append(nn.Conv2d(features, layer[1], 3, padding=1, bias=True))
            features = layer[1]
        elif kind == "bn":
            bn = nn.BatchNorm2d if last == "conv" else nn.BatchNorm1d
            layers.append(bn(features, eps=BN_EPSILON, momentum=1 - BN_MOMENTUM))
        elif kind == "relu":
            layers.append(nn.ReLU())
        elif kind == "leaky":
            layers.append(nn.LeakyReLU(0.1))
        elif kind == "pool":
            layers.append(nn.MaxPool2d(2))
            h, w = h // 2, w // 2
        elif kind == "dropout":
            layers.append(nn.Dropout(layer[1]))
        elif kind == "flatten":
            layers.append(nn.Flatten())
            features = h * w * features
        elif kind == "dense":
            units = layer[1] or CLASSES
            layers.append(nn.Linear(features, units))
            features = units
        if kind in ("conv", "dense", "flatten"):
            last = kind
    return nn.Sequential(*layers)


def keras_model(name, shape):
    """The preset as a keras.Sequential taking NHWC input of `shape` = (H, W, C)."""
    import keras
    from keras import layers as L
    stack = [keras.Input(shape=shape)]
    for layer in SPECS[name]:
        kind = layer[0]
        if kind == "conv":
            stack.append(L.Conv2D(layer[1], 3, padding="same", use_bias=True))
        elif kind == "bn":
            stack.append(L.BatchNormalization(momentum=BN_MOMENTUM, epsilon=BN_EPSILON))
        elif kind == "relu":
            stack.append(L.ReLU())
        elif kind == "leaky":
            stack.append(L.LeakyReLU(negative_slope=0.1))
        elif kind == "pool":
            stack.append(L.MaxPooling2D(2))
        elif kind == "dropout":
            stack.append(L.Dropout(layer[1]))
        elif kind == "flatten":
            stack.append(L.Flatten())
        elif kind == "dense":
            stack.append(L.Dense(layer[1] or CLASSES))
    return keras.Sequential(stack)
