"""What a person keeps around the answers: conversations, feedback, briefings, browsing the guide."""
