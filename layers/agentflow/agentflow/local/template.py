"""Read template.yaml: resources, function settings and API routes, with intrinsics resolved.

The local stack builds everything from here, so local and deployed resources cannot drift.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
STATE_MACHINE_TYPES = ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine")


class _CfnLoader(yaml.SafeLoader):
    """YAML loader that turns CloudFormation short tags (!Ref, !Sub, ...) into their long form."""


def _construct_tag(loader: _CfnLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = str(value).split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    return {name: value}


_CfnLoader.add_multi_constructor("!", _construct_tag)


@dataclass
class FunctionSpec:
    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    timeout: int
    environment: dict[str, str]


@dataclass
class RouteSpec:
    path: str  # API Gateway path template, e.g. /api/v1/health or /{proxy+}
    method: str  # GET, POST, ... or ANY
    function: str  # logical id
    authorized: bool


@dataclass
class StackTemplate:
    root: Path
    stack_name: str
    region: str
    document: dict[str, Any]
    parameters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(
        cls, path: Path, stack_name: str, region: str, overrides: dict[str, str] | None = None
    ) -> StackTemplate:
        document = yaml.load(path.read_text(), Loader=_CfnLoader)  # a SafeLoader subclass  # noqa: S506  # nosec B506
        parameters = {
            name: str(spec.get("Default", "")) for name, spec in (document.get("Parameters") or {}).items()
        }
        parameters.update(overrides or {})
        return cls(path.parent, stack_name, region, document, parameters)

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.document["Resources"])

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Resources of one type that the parameters create (a false Condition leaves one out)."""
        return {
            name: spec
            for name, spec in self.resources.items()
            if spec["Type"] == resource_type and self.condition(spec.get("Condition"))
        }

    def condition(self, name: str | None) -> bool:
        """Evaluate one of the template's Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or); None is true."""
        if name is None:
            return True
        return self._evaluate((self.document.get("Conditions") or {})[name])

    def _evaluate(self, expression: Any) -> bool:
        ((key, argument),) = expression.items()
        if key == "Condition":
            return self.condition(argument)
        if key == "Fn::Equals":
            first, second = (str(self.resolve(item)) for item in argument)
            return first == second
        if key == "Fn::Not":
            return not self._evaluate(argument[0])
        if key == "Fn::And":
            return all(self._evaluate(item) for item in argument)
        if key == "Fn::Or":
            return any(self._evaluate(item) for item in argument)
        raise ValueError(f"Unsupported condition function {key!r} in template.yaml")

    # ------------------------------------------------------------------ intrinsic functions
    def physical_name(self, logical_id: str) -> str:
        spec = self.resources[logical_id]
        props = spec.get("Properties") or {}
        for key in ("TableName", "BucketName", "FunctionName", "RoleName", "LayerName", "Name"):
            if key in props:
                return str(self.resolve(props[key]))
        return f"{self.stack_name}-{logical_id}"

    def arn(self, logical_id: str) -> str:
        spec = self.resources[logical_id]
        name = self.physical_name(logical_id)
        kind = spec["Type"]
        if kind in ("AWS::Serverless::Function", "AWS::Lambda::Function"):
            return f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{name}"
        if kind == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
        if kind == "AWS::DynamoDB::Table":
            return f"arn:aws:dynamodb:{self.region}:{ACCOUNT_ID}:table/{name}"
        if kind == "AWS::S3::Bucket":
            return f"arn:aws:s3:::{name}"
        if kind in STATE_MACHINE_TYPES:
            return f"arn:aws:states:{self.region}:{ACCOUNT_ID}:stateMachine:{name}"
        return f"arn:aws:local:{self.region}:{ACCOUNT_ID}:{name}"

    def _pseudo(self, name: str) -> str | None:
        return {
            "AWS::StackName": self.stack_name,
            "AWS::Region": self.region,
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
        }.get(name)

    def _ref(self, name: str) -> str:
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.parameters:
            return self.parameters[name]
        if self.resources[name]["Type"] in STATE_MACHINE_TYPES:
            return self.arn(name)  # a state machine's Ref is its ARN
        return self.physical_name(name)

    def _get_att(self, logical_id: str, attribute: str) -> str:
        if attribute == "Arn":
            return self.arn(logical_id)
        return self.physical_name(logical_id)

    def resolve(self, value: Any) -> Any:
        """Resolve Ref, Fn::GetAtt, Fn::Sub, Fn::Join, Fn::Split and Fn::Select (what the template uses)."""
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref":
                return self._ref(argument)
            if key == "Fn::GetAtt":
                return self._get_att(*argument)
            if key == "Fn::Join":
                separator, items = argument
                return separator.join(str(item) for item in self.resolve(items))
            if key == "Fn::Split":
                separator, text = argument
                return str(self.resolve(text)).split(separator)
            if key == "Fn::Select":
                index, items = argument
                return self.resolve(items)[int(index)]
            if key == "Fn::Sub":
                text, variables = (argument, {}) if isinstance(argument, str) else argument
                return self._substitute(text, self.resolve(variables))
        return {key: self.resolve(item) for key, item in value.items()}

    def _substitute(self, text: str, variables: dict[str, Any]) -> str:
        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in variables:
                return str(variables[name])
            if "." in name:
                return self._get_att(*name.split(".", 1))
            return self._ref(name)

        return re.sub(r"\$\{([^}!]+)\}", replace, text)

    # ------------------------------------------------------------------ what the local stack needs
    def functions(self) -> dict[str, FunctionSpec]:
        """Every Lambda function with Globals merged in and its environment resolved."""
        globals_ = (self.document.get("Globals") or {}).get("Function") or {}
        global_env = ((globals_.get("Environment") or {}).get("Variables")) or {}
        functions = {}
        for logical_id, spec in self.of_type("AWS::Serverless::Function").items():
            props = spec["Properties"]
            env = {**global_env, **(((props.get("Environment") or {}).get("Variables")) or {})}
            functions[logical_id] = FunctionSpec(
                logical_id=logical_id,
                name=self.physical_name(logical_id),
                arn=self.arn(logical_id),
                code_dir=self.root / props["CodeUri"],
                handler=props["Handler"],
                timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
                environment={key: str(self.resolve(item)) for key, item in env.items()},
            )
        return functions

    def routes(self) -> list[RouteSpec]:
        """API events of every function, with whether the default authorizer guards them."""
        routes = []
        for logical_id, spec in self.of_type("AWS::Serverless::Function").items():
            for event in (spec["Properties"].get("Events") or {}).values():
                if event["Type"] != "Api":
                    continue
                props = event["Properties"]
                authorizer = (props.get("Auth") or {}).get("Authorizer")
                routes.append(
                    RouteSpec(
                        path=props["Path"],
                        method=props["Method"].upper(),
                        function=logical_id,
                        authorized=authorizer != "NONE",
                    )
                )
        return routes

    def authorizer_function(self) -> str | None:
        """Logical id of the API's default (TOKEN) authorizer function."""
        for spec in self.of_type("AWS::Serverless::Api").values():
            auth = spec["Properties"].get("Auth") or {}
            default = auth.get("DefaultAuthorizer")
            if default:
                function_arn = auth["Authorizers"][default]["FunctionArn"]
                return str(function_arn["Fn::GetAtt"][0])
        return None

    def tables(self) -> dict[str, dict[str, Any]]:
        """CreateTable arguments per logical id (TTL settings separately under '_ttl')."""
        tables = {}
        for logical_id, spec in self.of_type("AWS::DynamoDB::Table").items():
            props = self.resolve(spec["Properties"])
            args: dict[str, Any] = {
                "TableName": props["TableName"],
                "AttributeDefinitions": props["AttributeDefinitions"],
                "KeySchema": props["KeySchema"],
                "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            }
            if props.get("GlobalSecondaryIndexes"):
                args["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
            if props.get("TimeToLiveSpecification"):
                args["_ttl"] = props["TimeToLiveSpecification"]
            tables[logical_id] = args
        return tables

    def buckets(self) -> list[str]:
        return [self.physical_name(logical_id) for logical_id in self.of_type("AWS::S3::Bucket")]

    def roles(self) -> dict[str, dict[str, Any]]:
        return {
            logical_id: self.resolve(spec["Properties"])
            for logical_id, spec in self.of_type("AWS::IAM::Role").items()
        }

    def state_machines(self) -> dict[str, tuple[str, str]]:
        """(name, ASL with DefinitionSubstitutions applied) of each hand-written state machine."""
        machines = {}
        for logical_id, spec in self.of_type("AWS::Serverless::StateMachine").items():
            props = spec["Properties"]
            definition = (self.root / props["DefinitionUri"]).read_text()
            for name, value in (props.get("DefinitionSubstitutions") or {}).items():
                definition = definition.replace("${" + name + "}", str(self.resolve(value)))
            machines[logical_id] = (self.physical_name(logical_id), definition)
        return machines

    def schedule_events(self) -> list[tuple[str, str, Any]]:
        """(function name, rate/cron expression, input) of every function's ``Schedule`` event."""
        found = []
        for logical_id, spec in self.of_type("AWS::Serverless::Function").items():
            for event in (spec["Properties"].get("Events") or {}).values():
                if event.get("Type") == "Schedule":
                    props = self.resolve(event["Properties"])
                    payload = json.loads(props["Input"]) if props.get("Input") else {}
                    found.append((self.physical_name(logical_id), props["Schedule"], payload))
        return found

    def bucket_notifications(self) -> dict[str, list[dict[str, Any]]]:
        """S3 events of functions as PutBucketNotificationConfiguration Lambda configurations."""
        notifications: dict[str, list[dict[str, Any]]] = {}
        for logical_id, spec in self.of_type("AWS::Serverless::Function").items():
            for event in (spec["Properties"].get("Events") or {}).values():
                if event["Type"] != "S3":
                    continue
                props = event["Properties"]
                events = props["Events"] if isinstance(props["Events"], list) else [props["Events"]]
                config: dict[str, Any] = {"LambdaFunctionArn": self.arn(logical_id), "Events": events}
                if props.get("Filter"):
                    config["Filter"] = {"Key": {"FilterRules": props["Filter"]["S3Key"]["Rules"]}}
                notifications.setdefault(str(self.resolve(props["Bucket"])), []).append(config)
        return notifications
