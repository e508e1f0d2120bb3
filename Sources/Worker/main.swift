print("distill-worker: not built yet")
