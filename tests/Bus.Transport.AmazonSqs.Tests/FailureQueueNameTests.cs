namespace Bus.Transport.AmazonSqs.Tests;

public class Failure_queue_names
{
    [Theory]
    [InlineData("evaluate-model", FailureQueue.Error, "evaluate-model_error")]
    [InlineData("evaluate-model", FailureQueue.Skipped, "evaluate-model_skipped")]
    [InlineData("evaluate-model", FailureQueue.DeadLetter, "evaluate-model_dlq")]
    [InlineData("orders.fifo", FailureQueue.Error, "orders_error.fifo")]
    [InlineData("orders.fifo", FailureQueue.DeadLetter, "orders_dlq.fifo")]
    public void Should_put_the_suffix_before_a_fifo_queues_suffix(string queue, FailureQueue kind, string expected)
    {
        FailureQueues.NameFor(queue, kind).Should().Be(expected);
        FailureQueues.KindOf(expected).Should().Be(kind);
    }

    [Theory]
    [InlineData("evaluate-model")]
    [InlineData("orders.fifo")]
    [InlineData("error-reports")]
    public void Should_not_take_an_ordinary_queue_for_a_failure_queue(string queue) => FailureQueues.KindOf(queue).Should().BeNull();

    [Fact]
    public void Should_carry_MassTransits_fault_header_names() =>
        FailureQueues.FaultAttributes.Should().BeEquivalentTo(["MT-Reason", "MT-Fault-ExceptionType", "MT-Fault-Message", "MT-Fault-StackTrace",
            "MT-Fault-Timestamp", "MT-Fault-InputAddress"]);
}
