"""The Specs pane and the spec review screen (issue 6).

``pane.SpecsPane`` lists the workspace's specs; Enter opens ``review.SpecReviewScreen``. Both keep
``workbench.core.specs`` imports inside their workers, so importing the pane is cheap.
"""
