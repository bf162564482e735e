"""Course tooling for lesson 05: notebook builders, isolated grading, feedback, batch grading."""
