from course_agent.schemas import write_schema

print(f"wrote {write_schema()}")
