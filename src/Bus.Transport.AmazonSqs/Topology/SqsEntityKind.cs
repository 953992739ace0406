namespace Bus.Transport.AmazonSqs.Topology;

public enum SqsEntityKind
{
    Queue,
    Topic,
}
