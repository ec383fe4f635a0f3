"""What both LearnFlow services share: event contracts and the Dapr plumbing, kept in one place."""
