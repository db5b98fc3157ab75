//! `l` on a target that is an ECS task (Fargate, awsvpc): the task is found by its address
//! (`ListClusters` → `ListTasks` → `DescribeTasks`, its network interface's IPv4 or IPv6
//! address) within the target group's VPC and account (`DescribeSubnets` gives the VPC of the
//! task's subnet: two VPCs may well use the same private range). The container followed is the
//! one whose port mapping serves the target's port; its task definition says where it logs
//! (`awslogs`, or FireLens with a CloudWatch Logs output), and that stream is followed through
//! CloudWatch Logs. Where that cannot be found, the answer says what to configure.

use super::RegionClients;
use super::error::from_sdk;
use super::log_groups::{LogGroupTail, Pace};
use crate::config::FollowMode;
use aws_sdk_ecs::types::{ContainerDefinition, LogDriver, Task};
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;

/// The log stream of one task's container, as its log driver names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLog {
    pub task_id: String,
    pub container: String,
    pub group: String,
    pub region: String,
    /// awslogs: `prefix/container/task-id`; FireLens: `prefix` + `container-firelens-task-id`,
    /// or the output's own stream name.
    pub stream: String,
    /// Which of the watched regions' clients found it: with several accounts a region has a
    /// set per account, and the tail reads with the account's own.
    pub clients: usize,
}

/// A target that is a task's address, as the Targets panel knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskTarget {
    /// An IPv4 or IPv6 address.
    pub address: String,
    /// The port the load balancer sends to: the container whose port mapping serves it.
    pub port: u16,
    /// The target group's VPC: a task with the same address in another VPC is another task.
    pub vpc: Option<String>,
    /// The target group's account (from its ARN).
    pub account: Option<String>,
}

/// What `l` was pressed on: a target that is a task's address, or an instance tasks run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workload {
    Address(TaskTarget),
    Instance(String),
}

/// Which container of a task is wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Serving {
    /// The one whose port mapping serves this port.
    Port(u16),
    /// The first that logs to CloudWatch Logs (a task on an instance: no port to go by).
    Any,
}

/// The account of an ARN (`arn:partition:service:region:account:…`).
pub fn account_of(arn: &str) -> Option<String> {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
}

/// Finds tasks' logs in the watched regions.
pub struct TaskLogs {
    regions: Vec<RegionClients>,
    custom_endpoint: bool,
    paces: Mutex<HashMap<String, Pace>>,
}

impl TaskLogs {
    pub fn new(regions: &[RegionClients], custom_endpoint: bool) -> TaskLogs {
        TaskLogs {
            regions: regions.to_vec(),
            custom_endpoint,
            paces: Mutex::new(HashMap::new()),
        }
    }

    /// The log of the task `target` names, looked for in `region` (else every watched region).
    pub async fn find(&self, target: &TaskTarget, region: Option<&str>) -> Result<TaskLog, String> {
        let address = &target.address;
        let mut searched = Vec::new();
        let mut elsewhere = Vec::new();
        for (clients, rc) in self
            .regions
            .iter()
            .enumerate()
            .filter(|(_, r)| region.is_none_or(|want| r.region == want))
        {
            searched.push(rc.region.clone());
            let found = tasks_with_address(rc, address).await?;
            let (ours, others) = in_scope(rc, found, target).await?;
            elsewhere.extend(others);
            match ours.as_slice() {
                [] => {}
                [task] => {
                    return task_log(rc, task, Serving::Port(target.port))
                        .await
                        .map(|log| TaskLog { clients, ..log });
                }
                many => {
                    let named: Vec<String> = many.iter().map(describe).collect();
                    return Err(format!(
                        "{} running ECS tasks have the address {address}: {}",
                        many.len(),
                        named.join("; ")
                    ));
                }
            }
        }
        let scope = match (&target.vpc, &target.account) {
            (Some(vpc), _) => format!(" in {vpc}"),
            (None, Some(account)) => format!(" in account {account}"),
            (None, None) => String::new(),
        };
        let also = if elsewhere.is_empty() {
            String::new()
        } else {
            format!(
                " (the address is another task's, outside the target group's VPC: {})",
                elsewhere.join("; ")
            )
        };
        Err(format!(
            "no running ECS task has the address {address}{scope} (searched {}){also}: if it runs elsewhere, add a [[log]] entry with its log_group",
            searched.join(", ")
        ))
    }

    /// The log of the task running on EC2 instance `instance_id` (the EC2 launch type: its
    /// tasks share the instance's address, so they are found through its container instance).
    pub async fn find_on_instance(
        &self,
        instance_id: &str,
        region: &str,
    ) -> Result<TaskLog, String> {
        let here: Vec<(usize, &RegionClients)> = (self.regions.iter().enumerate())
            .filter(|(_, r)| r.region == region)
            .collect();
        if here.is_empty() {
            return Err(format!("{region} is not among the console's regions"));
        }
        // Each watched account's clients in the region in turn: an instance id is its own
        // account's only.
        for (clients, rc) in here {
            if let Some(log) = self.on_instance_in(rc, instance_id).await? {
                return Ok(TaskLog { clients, ..log });
            }
        }
        Err(format!(
            "{instance_id} is not an ECS container instance in {region}: set [logs.instance] path to tail a file over SSH, or add a [[log]] entry"
        ))
    }

    /// The task log on `instance_id` if it is a container instance of `rc`'s account.
    async fn on_instance_in(
        &self,
        rc: &RegionClients,
        instance_id: &str,
    ) -> Result<Option<TaskLog>, String> {
        for cluster in clusters(rc).await? {
            let listed: Vec<String> = rc
                .ecs()
                .list_container_instances()
                .cluster(&cluster)
                .into_paginator()
                .items()
                .send()
                .collect::<Result<Vec<_>, _>>()
                .await
                .map_err(|e| from_sdk("ecs ListContainerInstances", e).message)?;
            for chunk in listed.chunks(100) {
                let out = rc
                    .ecs()
                    .describe_container_instances()
                    .cluster(&cluster)
                    .set_container_instances(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|e| from_sdk("ecs DescribeContainerInstances", e).message)?;
                let Some(arn) = out
                    .container_instances()
                    .iter()
                    .find(|c| c.ec2_instance_id() == Some(instance_id))
                    .and_then(|c| c.container_instance_arn())
                else {
                    continue;
                };
                return tasks_on(rc, &cluster, arn, instance_id).await.map(Some);
            }
        }
        Ok(None)
    }

    /// The tail of the task `what` names in `region`, or why there is none.
    pub async fn tail_of(
        &self,
        name: String,
        what: &Workload,
        region: &str,
    ) -> Result<LogGroupTail, String> {
        let log = match what {
            Workload::Address(target) => self.find(target, Some(region)).await?,
            Workload::Instance(id) => self.find_on_instance(id, region).await?,
        };
        self.tail(name, &log).ok_or_else(|| {
            format!(
                "task {} logs to {} in {}, a region the console does not watch: add it with --region",
                log.task_id, log.group, log.region
            )
        })
    }

    /// A tail of the task's stream, named after the task.
    pub fn tail(&self, name: String, log: &TaskLog) -> Option<LogGroupTail> {
        let rc = (self.regions.get(log.clients)).filter(|r| r.region == log.region)?;
        let pace = self
            .paces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            // Per account and region, as CloudWatch Logs' quotas are.
            .entry(format!("{}/{}", log.clients, log.region))
            .or_insert_with(super::log_groups::pace)
            .clone();
        let follow = if self.custom_endpoint {
            FollowMode::Poll
        } else {
            FollowMode::Live
        };
        Some(LogGroupTail::for_stream(
            name,
            log.group.clone(),
            log.stream.clone(),
            rc.logs().clone(),
            pace,
            follow,
        ))
    }
}

/// Every cluster of the region.
async fn clusters(rc: &RegionClients) -> Result<Vec<String>, String> {
    rc.ecs()
        .list_clusters()
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| from_sdk("ecs ListClusters", e).message)
}

/// The running tasks of a cluster (on one container instance, when given), described.
async fn running_tasks(
    rc: &RegionClients,
    cluster: &str,
    container_instance: Option<&str>,
) -> Result<Vec<aws_sdk_ecs::types::Task>, String> {
    let arns: Vec<String> = rc
        .ecs()
        .list_tasks()
        .cluster(cluster)
        .set_container_instance(container_instance.map(str::to_string))
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Running)
        .into_paginator()
        .items()
        .send()
        .collect::<Result<Vec<_>, _>>()
        .await
        .map_err(|e| from_sdk("ecs ListTasks", e).message)?;
    let mut tasks = Vec::new();
    // DescribeTasks takes at most 100 tasks a call.
    for chunk in arns.chunks(100) {
        let out = rc
            .ecs()
            .describe_tasks()
            .cluster(cluster)
            .set_tasks(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| from_sdk("ecs DescribeTasks", e).message)?;
        tasks.extend(out.tasks.unwrap_or_default());
    }
    Ok(tasks)
}

/// The log of the first running task on a container instance whose container logs to
/// CloudWatch Logs; why none does, if none does.
async fn tasks_on(
    rc: &RegionClients,
    cluster: &str,
    container_instance: &str,
    instance_id: &str,
) -> Result<TaskLog, String> {
    let mut why = Vec::new();
    for task in running_tasks(rc, cluster, Some(container_instance)).await? {
        match task_log(rc, &task, Serving::Any).await {
            Ok(log) => return Ok(log),
            Err(e) => why.push(e),
        }
    }
    if why.is_empty() {
        return Err(format!(
            "{instance_id} is a container instance of ECS cluster {cluster} with no running task"
        ));
    }
    Err(why.join("; "))
}

/// The running tasks, in every cluster, whose network interface has `address` (IPv4 or IPv6,
/// compared as addresses: `2001:db8::1` is `2001:0db8:0:0:0:0:0:1`).
async fn tasks_with_address(rc: &RegionClients, address: &str) -> Result<Vec<Task>, String> {
    let Ok(wanted) = address.parse::<IpAddr>() else {
        return Err(format!("{address} is not an IP address"));
    };
    let mut found = Vec::new();
    for cluster in clusters(rc).await? {
        for task in running_tasks(rc, &cluster, None).await? {
            if addresses(&task).contains(&wanted) {
                found.push(task);
            }
        }
    }
    Ok(found)
}

/// A task's addresses: its network interface attachment's (`privateIPv4Address`, an IPv6
/// address) and its containers' network interfaces'.
fn addresses(task: &Task) -> Vec<IpAddr> {
    let attached = task
        .attachments()
        .iter()
        .filter(|a| a.r#type().is_none_or(|t| t == "ElasticNetworkInterface"))
        .flat_map(|a| a.details())
        .filter(|d| {
            d.name().is_some_and(|n| {
                n == "privateIPv4Address" || n.to_ascii_lowercase().contains("ipv6")
            })
        })
        .filter_map(|d| d.value());
    let containers = task
        .containers()
        .iter()
        .flat_map(|c| c.network_interfaces())
        .flat_map(|n| [n.private_ipv4_address(), n.ipv6_address()])
        .flatten();
    attached
        .chain(containers)
        .filter_map(|a| a.parse().ok())
        .collect()
}

/// The tasks of `found` in the target's account and VPC, and a description of the others.
async fn in_scope(
    rc: &RegionClients,
    found: Vec<Task>,
    target: &TaskTarget,
) -> Result<(Vec<Task>, Vec<String>), String> {
    let (ours, others): (Vec<Task>, Vec<Task>) = found.into_iter().partition(|t| {
        target.account.is_none() || t.task_arn().and_then(account_of) == target.account
    });
    let mut elsewhere: Vec<String> = others
        .iter()
        .map(|t| {
            let account = t.task_arn().and_then(account_of).unwrap_or_default();
            format!("{} in account {account}", describe(t))
        })
        .collect();
    let Some(vpc) = &target.vpc else {
        return Ok((ours, elsewhere));
    };
    let subnets: Vec<String> = ours.iter().filter_map(subnet_of).collect();
    let vpcs = vpcs_of(rc, &subnets).await?;
    let vpc_of = |t: &Task| subnet_of(t).and_then(|s| vpcs.get(&s).cloned());
    let (ours, others): (Vec<Task>, Vec<Task>) = ours
        .into_iter()
        .partition(|t| vpc_of(t).as_ref() == Some(vpc));
    elsewhere.extend(others.iter().map(|t| {
        let theirs = vpc_of(t).unwrap_or_else(|| "no VPC known".to_string());
        format!("{} in {theirs}", describe(t))
    }));
    Ok((ours, elsewhere))
}

/// "task 0a1b… (cluster web, revproxy-nginx:7)".
fn describe(task: &Task) -> String {
    let arn = task.task_arn().unwrap_or("?");
    let id = arn.rsplit('/').next().unwrap_or(arn);
    let cluster = task
        .cluster_arn()
        .map(|c| c.rsplit('/').next().unwrap_or(c))
        .unwrap_or("?");
    let definition = task
        .task_definition_arn()
        .map(|d| d.rsplit('/').next().unwrap_or(d))
        .unwrap_or("?");
    format!("task {id} (cluster {cluster}, {definition})")
}

/// The subnet of a task's network interface.
fn subnet_of(task: &Task) -> Option<String> {
    task.attachments()
        .iter()
        .flat_map(|a| a.details())
        .find(|d| d.name() == Some("subnetId"))
        .and_then(|d| d.value())
        .map(str::to_string)
}

/// Each subnet's VPC (`DescribeSubnets`).
async fn vpcs_of(
    rc: &RegionClients,
    subnets: &[String],
) -> Result<HashMap<String, String>, String> {
    let mut unique: Vec<String> = subnets.to_vec();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(HashMap::new());
    }
    let out = rc
        .ec2()
        .describe_subnets()
        .set_subnet_ids(Some(unique))
        .send()
        .await
        .map_err(|e| from_sdk("ec2 DescribeSubnets", e).message)?;
    Ok(out
        .subnets()
        .iter()
        .filter_map(|s| Some((s.subnet_id()?.to_string(), s.vpc_id()?.to_string())))
        .collect())
}

/// Where the wanted container of `task` writes its log, read from its task definition.
async fn task_log(rc: &RegionClients, task: &Task, serving: Serving) -> Result<TaskLog, String> {
    let (Some(task_arn), Some(definition)) = (task.task_arn(), task.task_definition_arn()) else {
        return Err("ECS described a task without its ARN or task definition".to_string());
    };
    let out = rc
        .ecs()
        .describe_task_definition()
        .task_definition(definition)
        .send()
        .await
        .map_err(|e| from_sdk("ecs DescribeTaskDefinition", e).message)?;
    let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn);
    let containers = out
        .task_definition()
        .map(|d| d.container_definitions())
        .unwrap_or_default();
    let task = Named {
        id: task_id,
        definition,
        region: &rc.region,
        containers,
    };
    match serving {
        Serving::Port(port) => task.serving(port),
        Serving::Any => task.any_logging(),
    }
}

/// A task's containers, as its task definition describes them.
struct Named<'a> {
    id: &'a str,
    definition: &'a str,
    region: &'a str,
    containers: &'a [ContainerDefinition],
}

impl Named<'_> {
    /// The log of the container whose port mapping serves `port` (a task with one application
    /// container and no mapping for it: that container).
    fn serving(&self, port: u16) -> Result<TaskLog, String> {
        if let Some(c) = self.containers.iter().find(|c| maps(c, port)) {
            return self.log_of(c);
        }
        let apps: Vec<&ContainerDefinition> = self
            .containers
            .iter()
            .filter(|c| c.firelens_configuration().is_none())
            .collect();
        if let [only] = apps.as_slice() {
            return self.log_of(only);
        }
        let mapped: Vec<String> = self
            .containers
            .iter()
            .map(|c| format!("{}: {}", name(c), ports(c)))
            .collect();
        Err(format!(
            "no container of task {} ({}) maps port {port} ({}): add a [[log]] entry with its log_group",
            self.id,
            self.definition,
            mapped.join("; ")
        ))
    }

    /// The log of the first container that logs to CloudWatch Logs.
    fn any_logging(&self) -> Result<TaskLog, String> {
        let mut why = Vec::new();
        for c in self.containers {
            match self.log_of(c) {
                Ok(log) => return Ok(log),
                Err(e) => why.push(e),
            }
        }
        Err(format!(
            "task {} ({}) has no container logging to CloudWatch Logs with a stream it can name ({}): add a [[log]] entry with its log_group",
            self.id,
            self.definition,
            why.join("; ")
        ))
    }

    /// Where container `c` logs, or where its log goes when that is not a CloudWatch Logs
    /// stream the console can name.
    fn log_of(&self, c: &ContainerDefinition) -> Result<TaskLog, String> {
        let container = name(c);
        let Some(conf) = c.log_configuration() else {
            return Err(format!(
                "container {container} of task {} has no logConfiguration: its output reaches no log",
                self.id
            ));
        };
        let options = conf.options().cloned().unwrap_or_default();
        match conf.log_driver() {
            LogDriver::Awslogs => self.awslogs(container, &options),
            LogDriver::Awsfirelens => self.firelens(container, &options),
            other => Err(format!(
                "container {container} of task {} logs with the {} driver, not to CloudWatch Logs: add a [[log]] entry for where it sends them",
                self.id,
                other.as_str()
            )),
        }
    }

    /// The awslogs driver's stream: `prefix/container/task-id`.
    fn awslogs(
        &self,
        container: &str,
        options: &HashMap<String, String>,
    ) -> Result<TaskLog, String> {
        let Some(group) = options.get("awslogs-group") else {
            return Err(format!(
                "container {container}: awslogs without awslogs-group"
            ));
        };
        let Some(prefix) = options.get("awslogs-stream-prefix") else {
            // Without a prefix the stream is named after the Docker container id, which
            // DescribeTasks does not give for Fargate.
            return Err(format!(
                "container {container} logs to {group} with awslogs but without awslogs-stream-prefix, so its stream cannot be named: add a [[log]] entry with log_group = \"{group}\""
            ));
        };
        Ok(TaskLog {
            clients: 0,
            task_id: self.id.to_string(),
            container: container.to_string(),
            group: group.clone(),
            region: options
                .get("awslogs-region")
                .cloned()
                .unwrap_or_else(|| self.region.to_string()),
            stream: format!("{prefix}/{container}/{}", self.id),
        })
    }

    /// A FireLens container's CloudWatch Logs output (Fluent Bit's `cloudwatch_logs`, or the
    /// older `cloudwatch`): its `log_group_name`, and the stream `log_stream_prefix` followed by
    /// FireLens's tag (`container-firelens-task-id`), or `log_stream_name`. Any other output,
    /// or a router with its own configuration file, is named instead.
    fn firelens(
        &self,
        container: &str,
        options: &HashMap<String, String>,
    ) -> Result<TaskLog, String> {
        // Fluent Bit reads its keys regardless of case.
        let option = |k: &str| {
            options
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(k))
                .map(|(_, v)| v.clone())
        };
        let Some(output) = option("Name") else {
            return Err(format!(
                "container {container} of task {} sends its log to FireLens, routed by {}: add a [[log]] entry with the log_group it names",
                self.id,
                self.router()
            ));
        };
        if !matches!(output.as_str(), "cloudwatch_logs" | "cloudwatch") {
            let to: Vec<String> = ["delivery_stream", "stream", "bucket", "Host", "region"]
                .iter()
                .filter_map(|k| option(k).map(|v| format!("{k} {v}")))
                .collect();
            return Err(format!(
                "container {container} of task {} sends its log through FireLens to {output}{}, not to CloudWatch Logs",
                self.id,
                if to.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", to.join(", "))
                }
            ));
        }
        let templated = |v: &str| v.contains("$(") || v.contains("#(") || v.contains("${");
        let Some(group) = option("log_group_name").filter(|g| !templated(g)) else {
            return Err(format!(
                "container {container} of task {} logs through FireLens to CloudWatch Logs, to a group it does not name outright (log_group_name {}): add a [[log]] entry with its log_group",
                self.id,
                option("log_group_name")
                    .or_else(|| option("log_group_template"))
                    .unwrap_or_else(|| "missing".into())
            ));
        };
        let tag = format!("{container}-firelens-{}", self.id);
        let stream = match (option("log_stream_prefix"), option("log_stream_name")) {
            (Some(prefix), _) => format!("{prefix}{tag}"),
            (None, Some(name)) if !templated(&name) => name,
            (None, name) => {
                return Err(format!(
                    "container {container} of task {} logs through FireLens to {group}, to a stream it does not name outright (log_stream_name {}): add a [[log]] entry with log_group = \"{group}\"",
                    self.id,
                    name.or_else(|| option("log_stream_template"))
                        .unwrap_or_else(|| "missing".into())
                ));
            }
        };
        Ok(TaskLog {
            clients: 0,
            task_id: self.id.to_string(),
            container: container.to_string(),
            group,
            region: option("region").unwrap_or_else(|| self.region.to_string()),
            stream,
        })
    }

    /// "the FireLens router log_router's configuration file arn:aws:s3:::…", or its name.
    fn router(&self) -> String {
        let Some(router) = self
            .containers
            .iter()
            .find(|c| c.firelens_configuration().is_some())
        else {
            return "a FireLens router the task definition does not name".to_string();
        };
        let file = router
            .firelens_configuration()
            .and_then(|f| f.options())
            .and_then(|o| o.get("config-file-value"));
        match file {
            Some(file) => format!("container {}'s configuration file {file}", name(router)),
            None => format!("container {}'s default configuration", name(router)),
        }
    }
}

fn name(c: &ContainerDefinition) -> &str {
    c.name().unwrap_or("?")
}

/// Whether a port mapping of `c` serves `port` (its container or host port, or a range).
fn maps(c: &ContainerDefinition, port: u16) -> bool {
    let port = i32::from(port);
    c.port_mappings().iter().any(|m| {
        m.container_port() == Some(port)
            || m.host_port() == Some(port)
            || m.container_port_range().is_some_and(|r| in_range(r, port))
    })
}

/// `"8000-8099"` holds 8042.
fn in_range(range: &str, port: i32) -> bool {
    let Some((low, high)) = range.split_once('-') else {
        return range.trim().parse() == Ok(port);
    };
    match (low.trim().parse::<i32>(), high.trim().parse::<i32>()) {
        (Ok(low), Ok(high)) => (low..=high).contains(&port),
        _ => false,
    }
}

/// "80, 443" or "no port mappings".
fn ports(c: &ContainerDefinition) -> String {
    let ports: Vec<String> = c
        .port_mappings()
        .iter()
        .filter_map(|m| {
            m.container_port()
                .map(|p| p.to_string())
                .or_else(|| m.container_port_range().map(str::to_string))
        })
        .collect();
    if ports.is_empty() {
        "no port mappings".to_string()
    } else {
        ports.join(", ")
    }
}

/// ECS and EC2 answers replayed as AWS gives them (the shapes of the DescribeTasks,
/// DescribeTaskDefinition and DescribeSubnets references): what the emulator cannot produce,
/// two tasks with one private address in two VPCs, an IPv6 task, sidecars and FireLens.
#[cfg(test)]
mod tests {
    use super::*;
    use aws_config::{BehaviorVersion, Region, SdkConfig};
    use aws_credential_types::Credentials;
    use aws_sdk_ec2 as ec2;
    use aws_sdk_ecs as ecs;
    use aws_smithy_mocks::{
        MockResponseInterceptor, Rule, RuleMode, create_mock_http_client, mock,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::http::StatusCode;
    use aws_smithy_types::body::SdkBody;
    use serde_json::json;

    const REGION: &str = "ap-northeast-1";
    const ACCOUNT: &str = "123456789012";

    fn arn(what: &str) -> String {
        format!("arn:aws:ecs:{REGION}:{ACCOUNT}:{what}")
    }

    fn answer(body: String) -> HttpResponse {
        HttpResponse::new(
            StatusCode::try_from(200).expect("status"),
            SdkBody::from(body),
        )
    }

    /// A running Fargate task of `cluster` in `subnet` with `ipv4` (and `ipv6`, given on its
    /// container's interface, as ECS reports a dual-stack task).
    fn task(
        cluster: &str,
        id: &str,
        definition: &str,
        subnet: &str,
        ipv4: &str,
        ipv6: Option<&str>,
    ) -> serde_json::Value {
        json!({
            "taskArn": arn(&format!("task/{cluster}/{id}")),
            "clusterArn": arn(&format!("cluster/{cluster}")),
            "taskDefinitionArn": arn(&format!("task-definition/{definition}")),
            "lastStatus": "RUNNING",
            "desiredStatus": "RUNNING",
            "launchType": "FARGATE",
            "attachments": [{
                "id": format!("att-{id}"),
                "type": "ElasticNetworkInterface",
                "status": "ATTACHED",
                "details": [
                    {"name": "subnetId", "value": subnet},
                    {"name": "networkInterfaceId", "value": format!("eni-{id}")},
                    {"name": "macAddress", "value": "06:1f:2e:3d:4c:5b"},
                    {"name": "privateDnsName", "value": format!("ip-{}.ap-northeast-1.compute.internal", ipv4.replace('.', "-"))},
                    {"name": "privateIPv4Address", "value": ipv4}
                ]
            }],
            "containers": [{
                "name": "app",
                "taskArn": arn(&format!("task/{cluster}/{id}")),
                "lastStatus": "RUNNING",
                "networkInterfaces": [{
                    "attachmentId": format!("att-{id}"),
                    "privateIpv4Address": ipv4,
                    "ipv6Address": ipv6
                }]
            }]
        })
    }

    fn awslogs(group: &str, prefix: &str) -> serde_json::Value {
        json!({
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": group,
                "awslogs-region": REGION,
                "awslogs-stream-prefix": prefix
            }
        })
    }

    fn container(name: &str, ports: &[i32], logging: serde_json::Value) -> serde_json::Value {
        let mappings: Vec<serde_json::Value> = ports
            .iter()
            .map(|p| json!({"containerPort": p, "hostPort": p, "protocol": "tcp"}))
            .collect();
        json!({
            "name": name,
            "image": format!("{name}:latest"),
            "essential": true,
            "portMappings": mappings,
            "logConfiguration": logging
        })
    }

    /// The staging and production clusters, each running one task at 10.0.1.17 (both VPCs use
    /// 10.0.0.0/16); production's is dual-stack. Production's task definition puts an envoy
    /// sidecar before the application; `firelens` replaces staging's.
    fn clients(staging: Vec<serde_json::Value>) -> RegionClients {
        let stg = task(
            "staging",
            "5e1a",
            "shop-stg:3",
            "subnet-0stg",
            "10.0.1.17",
            None,
        );
        let prd = task(
            "production",
            "9f2b",
            "shop-prd:7",
            "subnet-0prd",
            "10.0.1.17",
            Some("2406:da14:abc:100::17"),
        );
        let production = vec![
            container("envoy", &[9901, 15000], awslogs("/ecs/shop-prd", "envoy")),
            container("app", &[8080], awslogs("/ecs/shop-prd", "app")),
        ];
        let rules = vec![
            mock!(ecs::Client::list_clusters).then_http_response(|| {
                answer(
                    json!({"clusterArns": [arn("cluster/staging"), arn("cluster/production")]})
                        .to_string(),
                )
            }),
            mock!(ecs::Client::list_tasks)
                .match_requests(|r| r.cluster().is_some_and(|c| c.ends_with("/staging")))
                .then_http_response(|| {
                    answer(json!({"taskArns": [arn("task/staging/5e1a")]}).to_string())
                }),
            mock!(ecs::Client::list_tasks)
                .match_requests(|r| r.cluster().is_some_and(|c| c.ends_with("/production")))
                .then_http_response(|| {
                    answer(json!({"taskArns": [arn("task/production/9f2b")]}).to_string())
                }),
            mock!(ecs::Client::describe_tasks)
                .match_requests(|r| r.cluster().is_some_and(|c| c.ends_with("/staging")))
                .then_http_response(move || {
                    answer(json!({"tasks": [stg.clone()], "failures": []}).to_string())
                }),
            mock!(ecs::Client::describe_tasks)
                .match_requests(|r| r.cluster().is_some_and(|c| c.ends_with("/production")))
                .then_http_response(move || {
                    answer(json!({"tasks": [prd.clone()], "failures": []}).to_string())
                }),
            definition("shop-stg:3", staging),
            definition("shop-prd:7", production),
        ];
        let subnets = mock!(ec2::Client::describe_subnets).then_http_response(|| {
            answer(
                "<DescribeSubnetsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId><subnetSet>\
                 <item><subnetId>subnet-0stg</subnetId><vpcId>vpc-0stg</vpcId><cidrBlock>10.0.1.0/24</cidrBlock><availabilityZone>ap-northeast-1a</availabilityZone><state>available</state></item>\
                 <item><subnetId>subnet-0prd</subnetId><vpcId>vpc-0prd</vpcId><cidrBlock>10.0.1.0/24</cidrBlock><availabilityZone>ap-northeast-1a</availabilityZone><state>available</state></item>\
                 </subnetSet></DescribeSubnetsResponse>"
                    .to_string(),
            )
        });
        let rc = super::super::for_region(&base(), REGION, Default::default());
        let ecs_conf = ecs::config::Builder::from(&rc.sdk_config)
            .interceptor(interceptor(&rules))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        let rc = rc.with_ecs(ecs::Client::from_conf(ecs_conf));
        let ec2_conf = ec2::config::Builder::from(&rc.sdk_config)
            .interceptor(interceptor(&[subnets]))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        rc.with_ec2(ec2::Client::from_conf(ec2_conf))
    }

    fn definition(name: &'static str, containers: Vec<serde_json::Value>) -> Rule {
        let body = json!({
            "taskDefinition": {
                "taskDefinitionArn": arn(&format!("task-definition/{name}")),
                "family": name.split(':').next(),
                "networkMode": "awsvpc",
                "containerDefinitions": containers
            }
        })
        .to_string();
        mock!(ecs::Client::describe_task_definition)
            .match_requests(move |r| r.task_definition().is_some_and(|d| d.ends_with(name)))
            .then_http_response(move || answer(body.clone()))
    }

    fn base() -> SdkConfig {
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    "test", "test", None, None, "mock",
                )),
            )
            .http_client(create_mock_http_client())
            .build()
    }

    fn interceptor(rules: &[Rule]) -> MockResponseInterceptor {
        rules.iter().fold(
            MockResponseInterceptor::new().rule_mode(RuleMode::MatchAny),
            |i, r| i.with_rule(r),
        )
    }

    fn staging_app() -> Vec<serde_json::Value> {
        vec![container("app", &[8080], awslogs("/ecs/shop-stg", "app"))]
    }

    fn target(address: &str, port: u16, vpc: Option<&str>) -> TaskTarget {
        TaskTarget {
            address: address.into(),
            port,
            vpc: vpc.map(str::to_string),
            account: Some(ACCOUNT.into()),
        }
    }

    fn logs(staging: Vec<serde_json::Value>) -> TaskLogs {
        TaskLogs::new(&[clients(staging)], false)
    }

    #[tokio::test]
    async fn one_address_in_two_vpcs_is_the_task_in_the_target_groups_vpc() {
        let logs = logs(staging_app());
        let prd = logs
            .find(&target("10.0.1.17", 8080, Some("vpc-0prd")), Some(REGION))
            .await
            .expect("production's");
        assert_eq!(
            (
                prd.task_id.as_str(),
                prd.group.as_str(),
                prd.stream.as_str()
            ),
            ("9f2b", "/ecs/shop-prd", "app/app/9f2b")
        );
        let stg = logs
            .find(&target("10.0.1.17", 8080, Some("vpc-0stg")), Some(REGION))
            .await
            .expect("staging's");
        assert_eq!(
            (stg.task_id.as_str(), stg.group.as_str()),
            ("5e1a", "/ecs/shop-stg")
        );
        // Not knowing the VPC, the console does not guess between them.
        let unsure = logs
            .find(&target("10.0.1.17", 8080, None), Some(REGION))
            .await
            .expect_err("two tasks");
        assert!(
            unsure.contains("2 running ECS tasks have the address 10.0.1.17")
                && unsure.contains("5e1a")
                && unsure.contains("9f2b"),
            "{unsure}"
        );
        // A third VPC with the same range: neither task is its target's.
        let none = logs
            .find(&target("10.0.1.17", 8080, Some("vpc-0dev")), Some(REGION))
            .await
            .expect_err("no task in vpc-0dev");
        assert!(
            none.contains("no running ECS task has the address 10.0.1.17 in vpc-0dev")
                && none.contains("vpc-0prd")
                && none.contains("vpc-0stg"),
            "{none}"
        );
    }

    #[tokio::test]
    async fn a_task_in_another_account_is_not_the_targets() {
        let logs = logs(staging_app());
        let mut other = target("10.0.1.17", 8080, Some("vpc-0prd"));
        other.account = Some("210987654321".into());
        let err = logs
            .find(&other, Some(REGION))
            .await
            .expect_err("none in that account");
        assert!(err.contains("in account 123456789012"), "{err}");
    }

    #[tokio::test]
    async fn an_ipv6_target_is_its_tasks_address_however_it_is_written() {
        let logs = logs(staging_app());
        let found = logs
            .find(
                &target("2406:da14:0abc:0100:0:0:0:17", 8080, Some("vpc-0prd")),
                Some(REGION),
            )
            .await
            .expect("the dual-stack task");
        assert_eq!(found.task_id, "9f2b");
    }

    #[tokio::test]
    async fn the_container_followed_is_the_one_mapping_the_targets_port() {
        let logs = logs(staging_app());
        let app = logs
            .find(&target("10.0.1.17", 8080, Some("vpc-0prd")), Some(REGION))
            .await
            .expect("app");
        // Not envoy, which comes first and logs with awslogs too.
        assert_eq!(
            (app.container.as_str(), app.stream.as_str()),
            ("app", "app/app/9f2b")
        );
        let envoy = logs
            .find(&target("10.0.1.17", 9901, Some("vpc-0prd")), Some(REGION))
            .await
            .expect("envoy");
        assert_eq!(
            (envoy.container.as_str(), envoy.stream.as_str()),
            ("envoy", "envoy/envoy/9f2b")
        );
        let unmapped = logs
            .find(&target("10.0.1.17", 9999, Some("vpc-0prd")), Some(REGION))
            .await
            .expect_err("nothing maps 9999");
        assert!(
            unmapped.contains("maps port 9999")
                && unmapped.contains("envoy: 9901, 15000")
                && unmapped.contains("app: 8080"),
            "{unmapped}"
        );
    }

    fn firelens_router(config_file: Option<&str>) -> serde_json::Value {
        let mut router = json!({
            "name": "log_router",
            "image": "public.ecr.aws/aws-observability/aws-for-fluent-bit:stable",
            "essential": true,
            "firelensConfiguration": {"type": "fluentbit"},
            "logConfiguration": awslogs("/ecs/firelens", "firelens")
        });
        if let Some(file) = config_file {
            router["firelensConfiguration"]["options"] =
                json!({"config-file-type": "s3", "config-file-value": file});
        }
        router
    }

    fn firelens_app(options: serde_json::Value) -> serde_json::Value {
        let mut app = container("app", &[8080], json!({"logDriver": "awsfirelens"}));
        if !options.is_null() {
            app["logConfiguration"]["options"] = options;
        }
        app
    }

    #[tokio::test]
    async fn a_firelens_container_is_followed_to_the_group_its_cloudwatch_output_names() {
        let logs = logs(vec![
            firelens_router(None),
            firelens_app(json!({
                "Name": "cloudwatch_logs",
                "region": "us-east-1",
                "log_group_name": "/ecs/shop-stg-app",
                "log_stream_prefix": "from-fluent-bit-",
                "auto_create_group": "true"
            })),
        ]);
        let found = logs
            .find(&target("10.0.1.17", 8080, Some("vpc-0stg")), Some(REGION))
            .await
            .expect("FireLens to CloudWatch Logs");
        assert_eq!(
            found,
            TaskLog {
                clients: 0,
                task_id: "5e1a".into(),
                container: "app".into(),
                group: "/ecs/shop-stg-app".into(),
                region: "us-east-1".into(),
                stream: "from-fluent-bit-app-firelens-5e1a".into(),
            }
        );
        // The older Go plugin, with a fixed stream.
        let logs = self::logs(vec![
            firelens_router(None),
            firelens_app(json!({
                "Name": "cloudwatch",
                "log_group_name": "/ecs/shop-stg-app",
                "log_stream_name": "app"
            })),
        ]);
        let found = logs
            .find(&target("10.0.1.17", 8080, Some("vpc-0stg")), Some(REGION))
            .await
            .expect("FireLens to CloudWatch Logs");
        assert_eq!(
            (
                found.group.as_str(),
                found.stream.as_str(),
                found.region.as_str()
            ),
            ("/ecs/shop-stg-app", "app", REGION)
        );
    }

    #[tokio::test]
    async fn a_firelens_container_logging_elsewhere_says_where() {
        let logs = logs(vec![
            firelens_router(None),
            firelens_app(json!({
                "Name": "firehose",
                "region": "ap-northeast-1",
                "delivery_stream": "shop-stg-logs"
            })),
        ]);
        let err = logs
            .find(&target("10.0.1.17", 8080, Some("vpc-0stg")), Some(REGION))
            .await
            .expect_err("not CloudWatch Logs");
        assert!(
            err.contains("through FireLens to firehose")
                && err.contains("delivery_stream shop-stg-logs"),
            "{err}"
        );
        let logs = self::logs(vec![
            firelens_router(Some("arn:aws:s3:::shop-config/fluent-bit.conf")),
            firelens_app(serde_json::Value::Null),
        ]);
        let err = logs
            .find(&target("10.0.1.17", 8080, Some("vpc-0stg")), Some(REGION))
            .await
            .expect_err("routed by the router's own file");
        assert!(
            err.contains(
                "log_router's configuration file arn:aws:s3:::shop-config/fluent-bit.conf"
            ),
            "{err}"
        );
    }
}
