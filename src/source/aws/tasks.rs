//! `l` on a target that is an ECS task (Fargate, awsvpc): the task is found by its address
//! (`ListClusters` → `ListTasks` → `DescribeTasks`), its task definition says where its
//! container logs (`logConfiguration` with the `awslogs` driver), and that stream is followed
//! through CloudWatch Logs. Where that cannot be found, the answer says what to configure.

use super::RegionClients;
use super::error::from_sdk;
use super::log_groups::{LogGroupTail, Pace};
use crate::config::FollowMode;
use std::collections::HashMap;
use std::sync::Mutex;

/// The log stream of one task's container, as the awslogs driver names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskLog {
    pub task_id: String,
    pub container: String,
    pub group: String,
    pub region: String,
    /// `prefix/container/task-id`.
    pub stream: String,
}

/// What `l` was pressed on: a target that is a task's address, or an instance tasks run on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Workload {
    Address(String),
    Instance(String),
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

    /// The log of the task with `address`, looked for in `region` (else every watched region).
    pub async fn find(&self, address: &str, region: Option<&str>) -> Result<TaskLog, String> {
        let mut searched = Vec::new();
        for rc in self
            .regions
            .iter()
            .filter(|r| region.is_none_or(|want| r.region == want))
        {
            searched.push(rc.region.clone());
            if let Some(found) = task_with_address(rc, address).await? {
                return task_log(rc, &found.0, &found.1).await;
            }
        }
        Err(format!(
            "no running ECS task has the address {address} (searched {}): if it runs elsewhere, add a [[log]] entry with its log_group",
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
        let Some(rc) = self.regions.iter().find(|r| r.region == region) else {
            return Err(format!("{region} is not among the console's regions"));
        };
        for cluster in clusters(rc).await? {
            let listed: Vec<String> = rc
                .ecs
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
                    .ecs
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
                return tasks_on(rc, &cluster, arn, instance_id).await;
            }
        }
        Err(format!(
            "{instance_id} is not an ECS container instance in {region}: set [logs.instance] path to tail a file over SSH, or add a [[log]] entry"
        ))
    }

    /// The tail of the task `what` names in `region`, or why there is none.
    pub async fn tail_of(
        &self,
        name: String,
        what: &Workload,
        region: &str,
    ) -> Result<LogGroupTail, String> {
        let log = match what {
            Workload::Address(address) => self.find(address, Some(region)).await?,
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
        let rc = self.regions.iter().find(|r| r.region == log.region)?;
        let pace = self
            .paces
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(log.region.clone())
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
            rc.logs.clone(),
            pace,
            follow,
        ))
    }
}

/// Every cluster of the region.
async fn clusters(rc: &RegionClients) -> Result<Vec<String>, String> {
    rc.ecs
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
        .ecs
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
            .ecs
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

/// The log of the first running task on a container instance whose container logs with
/// awslogs; why none does, if none does.
async fn tasks_on(
    rc: &RegionClients,
    cluster: &str,
    container_instance: &str,
    instance_id: &str,
) -> Result<TaskLog, String> {
    let mut why = Vec::new();
    for task in running_tasks(rc, cluster, Some(container_instance)).await? {
        if let (Some(arn), Some(def)) = (task.task_arn(), task.task_definition_arn()) {
            match task_log(rc, arn, def).await {
                Ok(log) => return Ok(log),
                Err(e) => why.push(e),
            }
        }
    }
    if why.is_empty() {
        return Err(format!(
            "{instance_id} is a container instance of ECS cluster {cluster} with no running task"
        ));
    }
    Err(why.join("; "))
}

/// (task ARN, task definition ARN) of the running task whose network interface has `address`.
async fn task_with_address(
    rc: &RegionClients,
    address: &str,
) -> Result<Option<(String, String)>, String> {
    for cluster in clusters(rc).await? {
        for task in running_tasks(rc, &cluster, None).await? {
            let has = task.attachments().iter().any(|a| {
                a.details()
                    .iter()
                    .any(|d| d.name() == Some("privateIPv4Address") && d.value() == Some(address))
            });
            if has && let (Some(arn), Some(def)) = (task.task_arn(), task.task_definition_arn()) {
                return Ok(Some((arn.to_string(), def.to_string())));
            }
        }
    }
    Ok(None)
}

/// Where the task's first container logging with awslogs writes.
async fn task_log(rc: &RegionClients, task_arn: &str, definition: &str) -> Result<TaskLog, String> {
    let out = rc
        .ecs
        .describe_task_definition()
        .task_definition(definition)
        .send()
        .await
        .map_err(|e| from_sdk("ecs DescribeTaskDefinition", e).message)?;
    let task_id = task_arn.rsplit('/').next().unwrap_or(task_arn).to_string();
    let containers = out
        .task_definition()
        .map(|d| d.container_definitions())
        .unwrap_or_default();
    let mut drivers = Vec::new();
    for c in containers {
        let name = c.name().unwrap_or("?");
        let Some(conf) = c.log_configuration() else {
            drivers.push(format!("{name}: no logConfiguration"));
            continue;
        };
        if *conf.log_driver() != aws_sdk_ecs::types::LogDriver::Awslogs {
            drivers.push(format!("{name}: {}", conf.log_driver().as_str()));
            continue;
        }
        let options = conf.options();
        let option = |k: &str| options.and_then(|o| o.get(k)).cloned();
        let Some(group) = option("awslogs-group") else {
            drivers.push(format!("{name}: awslogs without awslogs-group"));
            continue;
        };
        let Some(prefix) = option("awslogs-stream-prefix") else {
            // Without a prefix the stream is named after the Docker container id, which
            // DescribeTasks does not give for Fargate.
            drivers.push(format!("{name}: awslogs without awslogs-stream-prefix"));
            continue;
        };
        return Ok(TaskLog {
            task_id: task_id.clone(),
            container: name.to_string(),
            group,
            region: option("awslogs-region").unwrap_or_else(|| rc.region.clone()),
            stream: format!("{prefix}/{name}/{task_id}"),
        });
    }
    Err(format!(
        "task {task_id} ({definition}) has no container logging to CloudWatch Logs with a stream prefix ({}): add a [[log]] entry with its log_group",
        drivers.join("; ")
    ))
}
