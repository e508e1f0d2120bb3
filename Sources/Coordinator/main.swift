print("distill-coordinator: not built yet")
