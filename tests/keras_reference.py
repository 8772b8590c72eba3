"""Plain Keras training, the reference the fast paths are tested against."""


def keras_fit(model, split, orders):
    """Fit with plain Keras, one epoch per call, visiting the training rows in the given orders.

    Returns one dict of Keras' logs per epoch (``loss``, the metric, and their
    ``val_`` versions on the test half).
    """
    logs = []
    for rows in orders:
        result = model.fit(
            split.x_train[rows],
            split.y_train[rows],
            batch_size=32,
            epochs=1,
            shuffle=False,
            verbose=0,
            validation_data=(split.x_test, split.y_test),
        )
        logs.append({key: values[0] for key, values in result.history.items()})
    return logs
