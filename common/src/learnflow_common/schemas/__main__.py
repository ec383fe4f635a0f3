from learnflow_common.schemas import write_schemas

for path in write_schemas():
    print(f"wrote {path}")
