from course_agent.schemas import write_schema

print("wrote", *write_schema())
