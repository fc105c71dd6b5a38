from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Nobody signs up on their own: partners apply at /apply/ and are invited, staff are created."""

    def is_open_for_signup(self, request):
        return False
