"""The Wyoming handle service: Home Assistant's satellites speak glimmers in every room.

Each sentence arrives as a Wyoming `Transcript`; its answer goes back as `Handled`, from
the same Dialogue that `chat` and `listen` use, one conversation per room.
"""
