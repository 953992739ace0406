namespace Bus.Persistence.Outbox;

enum InboxClaim
{
    Claimed,
    Consumed,
    Busy,
}
